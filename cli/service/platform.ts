/** Which service manager this machine has: systemd on Linux, launchd on macOS, else none (an error, before anything is written). */
import { MxxError } from '../../src/errors.js';
import { createLaunchd } from './launchd.js';
import type { ServiceManager } from './manager.js';
import { createSystemd } from './systemd.js';
import { findOnPath } from './tools.js';

export function detectServiceManager(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): ServiceManager {
  if (platform === 'linux') {
    const systemctl = findOnPath('systemctl', env);
    if (systemctl) return createSystemd(systemctl, env);
    throw new MxxError('NOT_FOUND', 'no systemd here: systemctl is not on PATH, so mxx cannot be installed as a user service', {
      hint: 'on a system without systemd, start `mxx server` from your init system, a supervisor (runit, s6, supervisord) or a @reboot crontab line',
    });
  }
  if (platform === 'darwin') {
    const launchctl = findOnPath('launchctl', env);
    if (launchctl) return createLaunchd(launchctl, env);
    throw new MxxError('NOT_FOUND', 'launchctl is not on PATH, so mxx cannot be installed as a launchd agent', {
      hint: 'launchctl lives in /bin/launchctl; check PATH',
    });
  }
  throw new MxxError('NOT_FOUND', `mxx service supports systemd (Linux) and launchd (macOS), not ${platform}`, {
    hint: 'start `mxx server` with this system\'s own service manager',
  });
}
