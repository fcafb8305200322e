/**
 * The API's wire types (src/api/types.ts) reach src/api/source.ts, whose one helper uses node:path.
 * The dashboard imports those types only (erased by the bundler), so this is all it needs to check.
 */
declare module 'node:path' {
  export function basename(path: string): string;
}
