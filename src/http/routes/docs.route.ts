// GET /openapi.json and GET /docs: the OpenAPI 3.1 document generated from the routes' schemas, and the same
// as a readable page with the error catalogue.
import { ERROR_CODES } from '../../errors/codes.js';
import { escapeHtml } from '../render-html.js';
import type { RouteSpec } from '../route.js';

interface DocumentPaths {
  paths: Record<string, Record<string, { summary: string }>>;
}

export function renderDocsPage(document: DocumentPaths): string {
  const rows = Object.entries(document.paths)
    .flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${p}</code></td><td>${escapeHtml(op.summary)}</td></tr>`),
    )
    .join('\n');
  const errors = Object.entries(ERROR_CODES)
    .map(([code, e]) => `<tr><td><code>${code}</code></td><td>${e.httpStatus}</td><td>${e.description}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vitrine API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}td{padding:.3rem .6rem;border-bottom:1px solid #eee;vertical-align:top}</style>
</head><body><h1>Vitrine API</h1><p>The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
<table>${rows}</table><h2>Errors</h2><p>Every error answers <code>{"code", "message"}</code>.</p><table>${errors}</table></body></html>`;
}

export const docsRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/openapi.json',
    access: 'docs',
    doc: () => ({ summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } }),
    handler: ({ openApiDocument }) => async () => openApiDocument(),
  },
  {
    method: 'GET',
    url: '/docs',
    access: 'docs',
    doc: () => ({ summary: 'This document as a page', responses: { 200: { description: 'HTML', mediaType: 'text/html' } } }),
    handler: ({ openApiDocument }) => {
      let page: string | undefined;
      return async (_request, reply) => reply.type('text/html; charset=utf-8').send((page ??= renderDocsPage(openApiDocument() as DocumentPaths)));
    },
  },
];
