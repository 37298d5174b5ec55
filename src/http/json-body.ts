// JSON request bodies: Fastify's own parser (prototype-poisoning checks included) behind a nesting check that
// runs first, in one pass over the text, so a body of a million `[` is refused in linear time before any
// parser or schema recurses into it. Search bodies need three levels; config's maxJsonDepth bounds them all.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';

const OPEN = new Set(['[', '{']);
const CLOSE = new Set([']', '}']);

/** The deepest nesting of arrays and objects in JSON text, counting only brackets outside strings; stops past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (OPEN.has(c)) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (CLOSE.has(c)) {
      depth--;
    }
  }
  return deepest;
}

/** Refuses (BAD_REQUEST) JSON text nested deeper than `maxDepth`. */
export function checkJsonDepth(text: string, maxDepth: number, what = 'the JSON body'): void {
  if (jsonDepth(text, maxDepth) > maxDepth) throw new AppError('BAD_REQUEST', `${what} is nested deeper than ${maxDepth} levels`);
}

export function registerJsonBody(app: FastifyInstance, options: { maxDepth: number }): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      checkJsonDepth(String(body), options.maxDepth);
    } catch (e) {
      done(e as Error, undefined);
      return;
    }
    parse(request, String(body), done);
  });
}
