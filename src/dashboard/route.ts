/**
 * Views live in the URL's fragment (`#/jobs/backup`, `#/runs/<id>`, `#/timeline`): the server
 * serves one page at `/`, links and the back button work, and nothing is sent to the server.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'jobs' }
  | { view: 'job'; id: string }
  | { view: 'run'; id: string }
  | { view: 'timeline' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  if (parts[0] === 'jobs' && parts[1]) return { view: 'job', id: parts[1] };
  if (parts[0] === 'runs' && parts[1]) return { view: 'run', id: parts[1] };
  if (parts[0] === 'timeline') return { view: 'timeline' };
  return { view: 'jobs' };
}

export const hrefJob = (id: string): string => `#/jobs/${encodeURIComponent(id)}`;
export const hrefRun = (id: string): string => `#/runs/${encodeURIComponent(id)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
