/**
 * The completion scripts. They know no command: each Tab runs `<binary> completion --words <words…>`,
 * which answers from the registered commands (and the server, for job ids), so a new command or option
 * needs no change here. The script of `mxx` completes all three binaries; that of `mxx-client`, itself.
 */
import type { BinaryName } from '../index.js';
import { DIRS, FILES } from './complete.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export function isShell(name: string): name is Shell {
  return (SHELLS as readonly string[]).includes(name);
}

export function completionScript(shell: Shell, binary: BinaryName): string {
  const targets = binary === 'mxx' ? ['mxx', 'mxx-client', 'mxx-server'] : [binary];
  const fn = `_${binary.replace(/-/g, '_')}_completion`;
  const ask = `${binary} completion --words`;
  return SCRIPTS[shell]({ targets, fn, ask, binary });
}

interface Parts {
  targets: string[];
  fn: string;
  ask: string;
  binary: string;
}

const SCRIPTS: Record<Shell, (p: Parts) => string> = {
  bash: ({ targets, fn, ask, binary }) => `# ${binary} completion for bash. Add to ~/.bashrc:  source <(${binary} completion bash)
${fn}() {
  local words=() line out cur=\${COMP_WORDS[COMP_CWORD]}
  if [[ -n "\${COMP_LINE-}" ]]; then
    # Words split at blanks only: bash's own words break a URL (--server http://host:port) at its colons.
    line=\${COMP_LINE:0:COMP_POINT}
    read -ra words <<< "$line"
    [[ -z "$line" || "$line" == *[[:space:]] ]] && words+=("")
  else
    words=("\${COMP_WORDS[@]:0:COMP_CWORD+1}")
  fi
  out=$(${ask} "\${words[@]}" 2>/dev/null) || return 0
  COMPREPLY=()
  case "$out" in
    "") ;;
    ${FILES}) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    ${DIRS}) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    *) mapfile -t COMPREPLY <<< "$out" ;;
  esac
}
complete -F ${fn} ${targets.join(' ')}
`,
  zsh: ({ targets, fn, ask, binary }) => `#compdef ${targets.join(' ')}
# ${binary} completion for zsh. Either save it in a folder of $fpath as _${binary}:
#   ${binary} completion zsh > "\${fpath[1]}/_${binary}"
# or add to ~/.zshrc, after compinit:  source <(${binary} completion zsh)
${fn}() {
  local out
  out=$(${ask} "\${(@)words[1,CURRENT]}" 2>/dev/null) || return 1
  case "$out" in
    "") return 1 ;;
    ${FILES}) _files ;;
    ${DIRS}) _files -/ ;;
    *) local -a candidates; candidates=("\${(@f)out}"); compadd -a candidates ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${targets.join(' ')}
fi
`,
  fish: ({ targets, fn, ask, binary }) => `# ${binary} completion for fish. Add to ~/.config/fish/config.fish:  ${binary} completion fish | source
function ${fn}
    set -l cur (commandline -ct)
    set -l out (${ask} (commandline -opc) "$cur" 2>/dev/null)
    set -q out[1]; or return
    switch "$out[1]"
        case ${FILES}
            __fish_complete_path "$cur"
        case ${DIRS}
            __fish_complete_directories "$cur"
        case '*'
            printf '%s\\n' $out
    end
end
${targets.map((t) => `complete -c ${t} -f -a '(${fn})'`).join('\n')}
`,
};
