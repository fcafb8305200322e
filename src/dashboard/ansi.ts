/**
 * ANSI escape sequences in a run's log, read as a stream (a sequence may be cut between two
 * chunks): SGR colours and weights become styled segments, every other control sequence (cursor
 * moves, OSC titles and links, lone carriage returns) is dropped. Nothing is ever shown raw.
 */

export interface Style {
  /** CSS classes: `b`, `d`, `i`, `u`, `fg-N`, `bg-N` (N = 0–15). */
  classes: string;
  /** 256-colour and true-colour values, set through the CSSOM (allowed by the page's CSP). */
  color?: string;
  background?: string;
}

export interface Segment extends Style {
  text: string;
}

interface State {
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  fg: number | string | null;
  bg: number | string | null;
}

const plain = (): State => ({ bold: false, dim: false, italic: false, underline: false, fg: null, bg: null });

/** ESC [ params final | ESC ] … (BEL | ESC \) | ESC + one char. */
// eslint-disable-next-line no-control-regex
const SEQUENCE = /\x1b(?:\[([0-9;:?<=>]*)[ -/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const INCOMPLETE = /\x1b(?:\[[0-9;:?<=>]*[ -/]*|\][^\x07\x1b]*\x1b?)?$/;
// eslint-disable-next-line no-control-regex
const OTHER_CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]|\r(?!\n)/g;

/** xterm's 256-colour cube and grey ramp (0–15 are the classes). */
function color256(n: number): string {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const c = n - 16;
  const level = (x: number): number => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(c / 36))},${level(Math.floor(c / 6) % 6)},${level(c % 6)})`;
}

export class AnsiParser {
  private state = plain();
  private pending = '';

  push(chunk: string): Segment[] {
    let text = this.pending + chunk;
    // An escape cut at the chunk's end waits for the rest (a lone \r may be half of \r\n).
    const cut = INCOMPLETE.exec(text);
    this.pending = cut ? cut[0] : text.endsWith('\r') ? '\r' : '';
    if (this.pending) text = text.slice(0, text.length - this.pending.length);
    return this.parse(text);
  }

  private parse(text: string): Segment[] {
    const out: Segment[] = [];
    let at = 0;
    SEQUENCE.lastIndex = 0;
    for (let match = SEQUENCE.exec(text); match; match = SEQUENCE.exec(text)) {
      this.emit(out, text.slice(at, match.index));
      at = match.index + match[0].length;
      if (match[2] === 'm' && match[1] !== undefined && !/[?<=>]/.test(match[1])) this.sgr(match[1]);
    }
    this.emit(out, text.slice(at));
    return out;
  }

  private emit(out: Segment[], raw: string): void {
    const text = raw.replace(OTHER_CONTROLS, '');
    if (text === '') return;
    const style = this.style();
    const last = out.at(-1);
    if (last && last.classes === style.classes && last.color === style.color && last.background === style.background) last.text += text;
    else out.push({ text, ...style });
  }

  private style(): Style {
    const s = this.state;
    const classes: string[] = [];
    if (s.bold) classes.push('b');
    if (s.dim) classes.push('d');
    if (s.italic) classes.push('i');
    if (s.underline) classes.push('u');
    if (typeof s.fg === 'number') classes.push(`fg-${s.fg}`);
    if (typeof s.bg === 'number') classes.push(`bg-${s.bg}`);
    return {
      classes: classes.join(' '),
      ...(typeof s.fg === 'string' ? { color: s.fg } : {}),
      ...(typeof s.bg === 'string' ? { background: s.bg } : {}),
    };
  }

  private sgr(params: string): void {
    const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
    const s = this.state;
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i]!;
      if (code === 0) Object.assign(s, plain());
      else if (code === 1) s.bold = true;
      else if (code === 2) s.dim = true;
      else if (code === 3) s.italic = true;
      else if (code === 4) s.underline = true;
      else if (code === 22) s.bold = s.dim = false;
      else if (code === 23) s.italic = false;
      else if (code === 24) s.underline = false;
      else if (code >= 30 && code <= 37) s.fg = code - 30;
      else if (code >= 90 && code <= 97) s.fg = code - 90 + 8;
      else if (code === 39) s.fg = null;
      else if (code >= 40 && code <= 47) s.bg = code - 40;
      else if (code >= 100 && code <= 107) s.bg = code - 100 + 8;
      else if (code === 49) s.bg = null;
      else if (code === 38 || code === 48) {
        const mode = codes[i + 1];
        let value: number | string | null = null;
        if (mode === 5 && codes[i + 2] !== undefined) {
          const n = codes[i + 2]!;
          value = n < 16 ? n : color256(n);
          i += 2;
        } else if (mode === 2 && codes[i + 4] !== undefined) {
          value = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`;
          i += 4;
        } else {
          break;
        }
        if (code === 38) s.fg = value;
        else s.bg = value;
      }
    }
  }
}
