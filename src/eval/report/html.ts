// report.html: the Markdown summary as HTML with every chart inlined, one self-contained file to open or attach.
import { escapeXml } from './charts.js';

export interface HtmlFigure {
  title: string;
  /** SVG markup, inlined so the page needs no other file. */
  svg: string;
  /** PNG file name beside the report, linked for download. */
  png: string;
}

function inline(text: string): string {
  return escapeXml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function splitRow(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      current += '|';
      i++;
    } else if (body[i] === '|') {
      cells.push(current.trim());
      current = '';
    } else current += body[i];
  }
  cells.push(current.trim());
  return cells;
}

/** Converts the subset of Markdown that results.md uses (headings, paragraphs, tables) to HTML. */
export function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(splitRow(lines[i++]));
      i--;
      const [header, , ...body] = rows;
      out.push('<table>');
      out.push(`<thead><tr>${header.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead>`);
      out.push('<tbody>');
      for (const r of body) out.push(`<tr>${r.map((c, j) => (j === 0 ? `<th>${inline(c)}</th>` : `<td>${inline(c)}</td>`)).join('')}</tr>`);
      out.push('</tbody></table>');
    } else if (/^#{1,6} /.test(line)) {
      const level = line.indexOf(' ');
      out.push(`<h${level}>${inline(line.slice(level + 1))}</h${level}>`);
    } else if (line.trim() !== '') {
      out.push(`<p>${inline(line)}</p>`);
    }
  }
  return out.join('\n');
}

function stripXmlDeclaration(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

export function renderHtml(options: { title: string; markdown: string; figures: readonly HtmlFigure[] }): string {
  const figures = options.figures
    .map(
      (f) =>
        `<figure>\n${stripXmlDeclaration(f.svg)}\n<figcaption>${escapeXml(f.title)} · <a href="${escapeXml(f.png)}">PNG</a></figcaption>\n</figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(options.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; }
td { text-align: right; font-variant-numeric: tabular-nums; }
tbody th { text-align: left; font-weight: normal; }
figure { margin: 2rem 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
code { background: #f3f3f3; padding: 0 0.2rem; }
</style>
</head>
<body>
${markdownToHtml(options.markdown)}
${figures}
</body>
</html>
`;
}
