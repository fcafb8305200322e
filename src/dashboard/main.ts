/** The dashboard's entry: mounts the page (bundled by build.mjs; loaded as a module, no inline script). */
import { render } from 'preact';
import { App } from './app.js';
import { html } from './html.js';
import './style.css';

render(html`<${App} />`, document.getElementById('app')!);
