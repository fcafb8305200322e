/** The launchd agent of the mxx server (`~/Library/LaunchAgents/dev.mxx.server.plist`), as text. */
import { LAUNCHD_LABEL, STOP_TIMEOUT_S, type ServiceSpec } from './spec.js';

export interface PlistOptions {
  /** Where launchd writes the server's stdout and stderr (its log). */
  logFile: string;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const string = (text: string): string => `<string>${escapeXml(text)}</string>`;
const key = (name: string): string => `\t<key>${name}</key>`;

/**
 * RunAtLoad starts it at login (and at `launchctl bootstrap`); KeepAlive with SuccessfulExit=false
 * restarts it after a crash but not after `mxx shutdown` (exit 0). ExitTimeOut is launchd's wait
 * between SIGTERM and SIGKILL.
 */
export function renderLaunchdPlist(spec: ServiceSpec, options: PlistOptions): string {
  const env = Object.entries(spec.environment);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `mxx service install`; `mxx service uninstall` removes it. -->',
    '<plist version="1.0">',
    '<dict>',
    key('Label'),
    `\t${string(LAUNCHD_LABEL)}`,
    key('ProgramArguments'),
    '\t<array>',
    ...spec.command.map((arg) => `\t\t${string(arg)}`),
    '\t</array>',
    ...(env.length === 0
      ? []
      : [key('EnvironmentVariables'), '\t<dict>', ...env.flatMap(([name, value]) => [`\t\t<key>${escapeXml(name)}</key>`, `\t\t${string(value)}`]), '\t</dict>']),
    key('RunAtLoad'),
    '\t<true/>',
    key('KeepAlive'),
    '\t<dict>',
    '\t\t<key>SuccessfulExit</key>',
    '\t\t<false/>',
    '\t</dict>',
    key('ExitTimeOut'),
    `\t<integer>${STOP_TIMEOUT_S}</integer>`,
    key('ProcessType'),
    `\t${string('Background')}`,
    key('StandardOutPath'),
    `\t${string(options.logFile)}`,
    key('StandardErrorPath'),
    `\t${string(options.logFile)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
