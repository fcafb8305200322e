/** The page: header, the view the URL names, and the dialogs. */
import { useEffect } from 'preact/hooks';
import { html } from './html.js';
import { useRoute } from './route.js';
import { store } from './store.js';
import { ConfirmHost, TokenPrompt } from './views/dialogs.js';
import { Banner, Header } from './views/header.js';
import { JobView } from './views/job.js';
import { JobsView } from './views/jobs.js';
import { RunView } from './views/run.js';
import { TimelineView } from './views/timeline.js';

export function App() {
  const route = useRoute();
  useEffect(() => {
    store.start();
    return () => store.stop();
  }, []);
  useEffect(() => {
    document.title = route.view === 'job' ? `${route.id} · mxx` : route.view === 'run' ? `run ${route.id} · mxx` : route.view === 'timeline' ? 'timeline · mxx' : 'mxx';
  }, [route]);
  let view;
  switch (route.view) {
    case 'job':
      view = html`<${JobView} key=${route.id} id=${route.id} />`;
      break;
    case 'run':
      view = html`<${RunView} key=${route.id} id=${route.id} />`;
      break;
    case 'timeline':
      view = html`<${TimelineView} />`;
      break;
    default:
      view = html`<${JobsView} />`;
  }
  return html`<${Header} route=${route} />
    <${Banner} />
    <main id="main" data-view=${route.view}>${view}</main>
    <${TokenPrompt} />
    <${ConfirmHost} />`;
}
