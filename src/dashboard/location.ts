/** Where a job file failed to load, out of the server's message (pure: the tests import it). */

/**
 * The server's message names the file (`x.toml:3:7: what`, the full path or its name): split into
 * the location, shown as the full path with line and column, and the message.
 */
export function splitLocation(file: string, error: string): { where: string; message: string } {
  const name = file.slice(file.lastIndexOf('/') + 1);
  for (const prefix of [file, name]) {
    if (!error.startsWith(prefix)) continue;
    const rest = error.slice(prefix.length);
    const pos = /^((?::\d+){1,2})?:\s*/.exec(rest);
    if (pos) return { where: file + (pos[1] ?? ''), message: rest.slice(pos[0].length) };
  }
  return { where: file, message: error };
}
