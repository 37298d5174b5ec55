// Self-contained HTML result pages: the seed's /display_* routes and `vitrine search --out results.html`.
import type { Hit } from '../domain/types.js';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface ResultsPage {
  /** What was searched, shown as the heading. */
  query: string;
  /** Hits from the index or from a server: the page shows `imageSrc`, never the index's image reference. */
  hits: (Omit<Hit, 'imageRef'> & { imageSrc: string })[];
  tookMs?: number;
}

const KEY_ATTRIBUTES = ['gender', 'articleType', 'baseColour', 'masterCategory', 'subCategory', 'season', 'usage'];

export function renderResultsPage(page: ResultsPage): string {
  const cards = page.hits
    .map((h, i) => {
      const attrs = KEY_ATTRIBUTES.filter((k) => h.attributes[k])
        .map((k) => `<span>${escapeHtml(h.attributes[k])}</span>`)
        .join('');
      return `<figure><img src="${escapeHtml(h.imageSrc)}" alt="${escapeHtml(h.title)}" loading="lazy">
<figcaption><b>${i + 1}. ${escapeHtml(h.title)}</b><small>id ${escapeHtml(h.id)} · similarity ${h.similarity.toFixed(4)}</small><div class="attrs">${attrs}</div></figcaption></figure>`;
    })
    .join('\n');
  const took = page.tookMs !== undefined ? ` · ${page.tookMs.toFixed(1)} ms` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vitrine: ${escapeHtml(page.query)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.2rem}p.meta{color:#666}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:1rem}
figure{margin:0;border:1px solid #ddd;border-radius:8px;overflow:hidden;background:#fafafa}
img{width:100%;aspect-ratio:3/4;object-fit:contain;background:#fff;display:block}
figcaption{padding:.5rem;font-size:.85rem;display:flex;flex-direction:column;gap:.25rem}
small{color:#666}.attrs span{display:inline-block;background:#eee;border-radius:4px;padding:0 .3rem;margin:0 .2rem .2rem 0;font-size:.75rem}
</style></head><body>
<h1>Results for ${escapeHtml(page.query)}</h1>
<p class="meta">${page.hits.length} products${took}</p>
<div class="grid">
${cards || '<p>No products found.</p>'}
</div></body></html>
`;
}
