import { createRequire } from 'node:module';

const nodeRequire = createRequire(__filename);

/** The file of one of kafkajs's own modules (`kafkajs/src/...`), as Node resolves it. */
export function kafkajsModulePath(id: string): string {
  return nodeRequire.resolve(id);
}

/** One of kafkajs's own modules as it is loaded (the replacement once installed). */
export function loadKafkajsModule<T>(id: string): T {
  return nodeRequire(id) as T;
}

/**
 * Puts `exports` in Node's module cache in place of kafkajs's module `id`, so that kafkajs's modules
 * that require it from then on get the replacement; `marker` recognises an installed replacement (a
 * second evaluation of the caller installs nothing). Throws when `dependent`, the kafkajs module
 * that binds `id` when it loads, was loaded before: it would keep kafkajs's own.
 */
export function replaceKafkajsModule(id: string, exports: object, marker: symbol, dependent: string): void {
  const path = nodeRequire.resolve(id);
  const cached = nodeRequire.cache[path];
  if (cached && (cached.exports as Record<symbol, unknown>)[marker]) return;
  if (nodeRequire.cache[nodeRequire.resolve(dependent)])
    throw new Error(
      `kafkajs's ${dependent} was loaded before @fraudstream/kafka replaced its ${id}: import kafkajs values through libs/kafka/src/kafkajs.ts only`,
    );
  Object.defineProperty(exports, marker, { value: true });
  const Module = nodeRequire('node:module') as {
    new (id: string): NodeJS.Module & { filename: string; loaded: boolean; exports: unknown };
  };
  const replacement = new Module(path);
  replacement.filename = path;
  replacement.loaded = true;
  replacement.exports = exports;
  nodeRequire.cache[path] = replacement;
}
