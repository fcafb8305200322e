/** The registry lives in src/registry/; this path stays for its importers. */
export { createRegistry, type Registry, type RegistryOptions, type RegistryPatch } from './registry/index.js';
