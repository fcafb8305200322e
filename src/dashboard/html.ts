/** Preact + htm: tagged templates instead of JSX, so the browser code needs no JSX compile step. */
import htm from 'htm';
import { h } from 'preact';

export const html = htm.bind(h);
