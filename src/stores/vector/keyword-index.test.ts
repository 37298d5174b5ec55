import { describe, expect, it } from 'vitest';
import { KeywordIndex, type KeywordDocument } from './keyword-index.js';
import { seededRandom } from '../../domain/seeded-random.js';

const DOCS: KeywordDocument[] = [
  { id: '1', title: 'Nike Men Blue Running Shoes', attributes: { gender: 'Men', articleType: 'Sports Shoes', baseColour: 'Blue' } },
  { id: '2', title: 'Puma Men Black Socks', attributes: { gender: 'Men', articleType: 'Socks', baseColour: 'Black' } },
  { id: '3', title: 'Mike Women Red Dress', attributes: { gender: 'Women', articleType: 'Dresses', baseColour: 'Red' } },
  { id: '4', title: 'Nike Women Red T-Shirt', attributes: { gender: 'Women', articleType: 'Tshirts', baseColour: 'Red' } },
  { id: '5', title: 'Quechua Unisex Backpack', attributes: { gender: 'Unisex', articleType: 'Backpacks', baseColour: 'Green', split: 'test' } },
];
const FIELDS = ['gender', 'articleType', 'baseColour'];
const ids = (index: KeywordIndex, text: string, accept?: (id: string) => boolean) => index.search({ text, accept }).map((m) => m.id);

describe('KeywordIndex', () => {
  const index = KeywordIndex.build(DOCS, FIELDS);

  it('finds a brand by its name, and only that brand: a catalog word is no typo of another', () => {
    expect(ids(index, 'Nike').sort()).toEqual(['1', '4']);
    expect(ids(index, 'nike').sort()).toEqual(['1', '4']);
  });

  it('forgives typos in a word the catalog does not hold, and reads word starts, ranking them below exact words', () => {
    expect(ids(index, 'nkie').sort()).toEqual(['1', '4']);
    // "dres" starts "dress" and is two edits from "red": the dress first
    expect(ids(index, 'dres')[0]).toBe('3');
    expect(ids(index, 'dress')).toEqual(['3']);
    expect(ids(index, 'backpak')).toEqual(['5']);
    // three letters must be exact: "rad" is not "red"
    expect(ids(index, 'rad')).toEqual([]);
  });

  it('matches every word when some product has them all, else any of them, ranked by BM25', () => {
    expect(ids(index, 'red nike')).toEqual(['4']);
    const any = index.search({ text: 'nike dress' });
    expect(any.map((m) => m.id).sort()).toEqual(['1', '3', '4']);
    expect(any[0].score).toBeGreaterThan(0);
    expect(any.every((m, i) => i === 0 || any[i - 1].score >= m.score)).toBe(true);
  });

  it('searches the attribute values given, not others, and skips words with no product meaning', () => {
    expect(ids(index, 'tshirts')).toEqual(['4']);
    expect(ids(index, 'socks for men')).toEqual(['2']);
    expect(ids(index, 'test')).toEqual([]);
    expect(ids(index, 'for the')).toEqual([]);
  });

  it('keeps only what the caller accepts', () => {
    expect(ids(index, 'nike', (id) => id !== '1')).toEqual(['4']);
  });

  it('takes writes: replaced and removed products', () => {
    const live = KeywordIndex.build(DOCS, FIELDS);
    live.upsert([{ id: '2', title: 'Adidas Men Black Socks', attributes: { articleType: 'Socks' } }]);
    live.remove(['1', 'missing']);
    expect(ids(live, 'puma')).toEqual([]);
    expect(ids(live, 'adidas')).toEqual(['2']);
    expect(ids(live, 'nike')).toEqual(['4']);
    expect(live.size).toBe(4);
  });

  it('ranks only the best `limit` matches, the same as the full ranking\'s first ones, and counts and tests them all', () => {
    // Many ties (titles built from a few words), so the cut falls inside runs of equal scores.
    const words = ['red', 'blue', 'shirt', 'dress', 'cotton', 'slim'];
    const docs: KeywordDocument[] = Array.from({ length: 300 }, (_, i) => ({
      id: `p${String((i * 7919) % 300).padStart(3, '0')}`,
      title: [words[i % 6], words[(i * 5) % 6], words[(i * 11) % 4]].join(' '),
      attributes: { gender: i % 3 === 0 ? 'Men' : 'Women' },
    }));
    const big = KeywordIndex.build(docs, ['gender']);
    const women = (id: string) => docs.find((d) => d.id === id)!.attributes.gender === 'Women';
    for (const text of ['red', 'shirt', 'red shirt', 'men', 'slim dress']) {
      const full = big.search({ text });
      const matches = big.match(text);
      expect(matches.size).toBe(full.length);
      expect(matches.ids().sort()).toEqual(full.map((m) => m.id).sort());
      for (const limit of [1, 7, 50, 1000]) {
        expect(matches.top({ limit }).ranked).toEqual(full.slice(0, limit));
        const kept = big.search({ text, accept: women });
        expect(matches.top({ limit, accept: women })).toEqual({ ranked: kept.slice(0, limit), accepted: kept.length });
      }
      for (const d of docs.slice(0, 40)) expect(matches.has(d.id)).toBe(full.some((m) => m.id === d.id));
    }
    const excluded = big.match('red', { exclude: ['p000', 'p007'] });
    expect(excluded.has('p000')).toBe(false);
    expect(excluded.ids()).not.toContain('p007');
    expect(excluded.size).toBe(big.search({ text: 'red', accept: (id) => id !== 'p000' && id !== 'p007' }).length);
    expect(big.match('xyzzy').size).toBe(0);
  });

  it('scores and matches as plain BM25 does (every word when some product has them all, else any), whichever way the words are read', () => {
    // Words of one length, none a start of another, all known (no typo expansion): every query word is itself only.
    const random = seededRandom(21);
    const vocabulary = Array.from({ length: 40 }, (_, i) => `qw${String(i * 7 + 100)}`);
    // Skewed: the first words are in most titles (like "men"), the last in a few (like a brand).
    const word = () => vocabulary[Math.floor(random() ** 2.5 * vocabulary.length)];
    const docs = Array.from({ length: 3000 }, (_, i) => ({ id: `d${String(i).padStart(4, '0')}`, title: Array.from({ length: 2 + Math.floor(random() * 6) }, word).join(' '), attributes: {} }));
    const written = KeywordIndex.build(docs, []);
    // Writes: some removed, some replaced (new rows), so rows and the average length move.
    const removed = docs.filter((_, i) => i % 11 === 0).map((d) => d.id);
    written.remove(removed);
    const replaced = docs.filter((_, i) => i % 13 === 1).map((d) => ({ ...d, title: `${d.title} ${word()} ${word()}` }));
    written.upsert(replaced);
    const live = new Map(docs.map((d) => [d.id, d]));
    for (const id of removed) live.delete(id);
    for (const d of replaced) live.set(d.id, d);
    // The index after those writes scores as plain BM25 over the live products does (document frequencies count
    // live products only); one built afresh from them must match too.
    const index = written;
    const fresh = KeywordIndex.build([...live.values()], []);

    const tokens = new Map([...live].map(([id, d]) => [id, d.title.split(' ')]));
    const avg = [...tokens.values()].reduce((sum, t) => sum + t.length, 0) / tokens.size;
    const reference = (query: string[], exclude: Set<string>) => {
      const unique = [...new Set(query)];
      const df = new Map(unique.map((w) => [w, [...tokens.values()].filter((t) => t.includes(w)).length]));
      const scored = [...tokens].map(([id, t]) => {
        let score = 0;
        let matched = 0;
        for (const w of unique) {
          const tf = t.filter((x) => x === w).length;
          if (tf === 0) continue;
          matched++;
          const idf = Math.log(1 + (tokens.size - df.get(w)! + 0.5) / (df.get(w)! + 0.5));
          score += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * t.length) / avg));
        }
        return { id, score, matched };
      });
      const searchable = unique.filter((w) => df.get(w)! > 0).length;
      let hits = scored.filter((h) => h.matched >= searchable && h.matched > 0 && !exclude.has(h.id));
      if (hits.length === 0) hits = scored.filter((h) => h.matched > 0 && !exclude.has(h.id));
      return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    };
    for (let q = 0; q < 60; q++) {
      const query = Array.from({ length: 1 + (q % 4) }, word);
      if (q % 10 === 9) query.push('qw9999');
      const exclude = new Set(q % 3 === 0 ? [...live.keys()].filter((_, i) => i % 50 === q % 50) : []);
      const expected = reference(query, exclude);
      const matches = index.match(query.join(' '), { exclude: [...exclude] });
      const got = matches.top({ limit: Infinity }).ranked;
      expect(got.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i].score, 9));
      expect(matches.size).toBe(expected.length);
      const inSet = new Set(expected.map((h) => h.id));
      for (const id of [...live.keys()].slice(0, 300)) expect(matches.has(id)).toBe(inSet.has(id));
      expect(matches.ids().sort()).toEqual([...inSet].sort());
      const rebuilt = fresh.match(query.join(' '), { exclude: [...exclude] }).top({ limit: Infinity }).ranked;
      expect(rebuilt.map((h) => h.id)).toEqual(expected.map((h) => h.id));
    }
  });

  describe('weighs a word\'s expansions by how often the catalog uses them', () => {
    // A small catalog with the shape of the real one: common words in many products, rare ones in one or two.
    const doc = (id: string, title: string, articleType: string): KeywordDocument => ({ id, title, attributes: { articleType } });
    const many = (prefix: string, count: number, title: (i: number) => string, articleType: string) =>
      Array.from({ length: count }, (_, i) => doc(`${prefix}${String(i).padStart(2, '0')}`, title(i), articleType));
    const COLOURS = ['Blue', 'Black', 'Green', 'White'];
    const catalog = KeywordIndex.build(
      [
        ...many('dress', 12, (i) => `Femella Women ${COLOURS[i % 4]} Dress`, 'Dresses'),
        ...many('red', 30, (i) => `Roadster Men Red ${i % 2 ? 'Shirt' : 'Jacket'}`, 'Shirts'),
        doc('tres', 'Lotto Men Brown Fella Tres Shoes', 'Casual Shoes'),
        ...many('kurta', 10, (i) => `Biba Women ${COLOURS[i % 4]} Kurta`, 'Kurtas'),
        ...many('kurti', 4, (i) => `W Women ${COLOURS[i % 4]} Kurti`, 'Kurtis'),
        doc('burt', 'Burt Men Grey Sweater', 'Sweaters'),
        ...many('jeans', 15, (i) => `Pepe Jeans Men ${COLOURS[i % 4]} Jeans`, 'Jeans'),
        doc('jeanie', 'Rockport Women Jeanie Brown Flats', 'Flats'),
        doc('jean', 'Levis Kids Blue Solid Jean', 'Jeans'),
        ...many('adidas', 8, (i) => `ADIDAS Men ${COLOURS[i % 4]} Cap`, 'Caps'),
        doc('ahimsa', "Inkfruit Men's Ahimsa Grey T-shirt", 'Tshirts'),
        ...many('tops', 20, (i) => `Vero Moda Women ${COLOURS[i % 4]} Top`, 'Tops'),
      ],
      ['articleType'],
    );
    const top = (text: string, n: number) => ids(catalog, text).slice(0, n);
    const family = (prefix: string) => (id: string) => id.startsWith(prefix) && /\d$/.test(id);

    it('"dres" finds the dresses first: a rare word one edit away ("tres") does not outrank the common word it starts', () => {
      const found = ids(catalog, 'dres');
      expect(found.slice(0, 12).every(family('dress'))).toBe(true);
      // still found, below every dress; "red" (two edits, in more products) below the dresses too
      expect(found).toContain('tres');
      expect(found.indexOf('tres')).toBeGreaterThan(11);
      expect(found.findIndex(family('red'))).toBeGreaterThan(11);
    });

    it('"kurt" finds kurtas and kurtis before a rare word one edit away', () => {
      const found = ids(catalog, 'kurt');
      expect(found.slice(0, 14).every((id) => family('kurta')(id) || family('kurti')(id))).toBe(true);
      expect(found.indexOf('burt')).toBeGreaterThan(13);
    });

    it('keeps an exact word strongest, then the common word it starts before a rare one ("jean": jean, jeans, jeanie)', () => {
      const found = ids(catalog, 'jean');
      expect(found[0]).toBe('jean');
      expect(found.slice(1, 16).every(family('jeans'))).toBe(true);
      expect(found.indexOf('jeanie')).toBeGreaterThan(15);
    });

    it('forgives a swap in a brand over a rare word as far away ("adidsa")', () => {
      expect(top('adidsa', 8).every(family('adidas'))).toBe(true);
      expect(ids(catalog, 'adidsa')).toContain('ahimsa');
    });

    it('weighs a swap of two letters as one edit: "acps" finds caps before tops (two edits, more products)', () => {
      expect(top('acps', 8).every(family('adidas'))).toBe(true);
    });

    it('still reads a rare word when nothing as close is common ("fela" -> Fella, "lott" -> Lotto)', () => {
      expect(top('fela', 1)).toEqual(['tres']);
      expect(top('lott', 1)).toEqual(['tres']);
    });
  });
});

describe('KeywordIndex saved and loaded', () => {
  const random = seededRandom(7);
  const stems = ['nike', 'puma', 'adidas', 'shirt', 'tshirt', 'dress', 'dresses', 'red', 'blue', 'black', 'kurta', 'kurtas', 'men', 'women', 'socks', 'shoes', 'running', 'casual', 'watch', 'backpack'];
  // Skewed vocabulary with near-words (typos and word starts of each other) and rare words.
  const vocabulary = [...stems, ...stems.map((w) => `${w}x`), ...Array.from({ length: 60 }, (_, i) => `rare${i}`)];
  const word = () => vocabulary[Math.floor(random() ** 2 * vocabulary.length)];
  const doc = (id: string): KeywordDocument => ({
    id,
    title: Array.from({ length: 2 + Math.floor(random() * 6) }, word).join(' '),
    attributes: { gender: random() < 0.5 ? 'Men' : 'Women', baseColour: word(), ...(random() < 0.3 ? { season: 'Summer' } : {}) },
  });
  const docs = Array.from({ length: 1500 }, (_, i) => doc(`p${i}`));
  const fields = ['gender', 'baseColour', 'season'];
  const queries = [
    ...Array.from({ length: 120 }, () => Array.from({ length: 1 + Math.floor(random() * 3) }, word).join(' ')),
    'nkie',
    'dres',
    'kurt',
    'backpak red',
    'rare3 men',
    'summer women',
    'xyzzy nike',
    'sh',
    'the',
  ];
  const same = (a: KeywordIndex, b: KeywordIndex, exclude: string[] = []) => {
    for (const q of queries) {
      const x = a.match(q, { exclude });
      const y = b.match(q, { exclude });
      expect(y.ids(), q).toEqual(x.ids());
      expect(y.top({ limit: Infinity }).ranked, q).toEqual(x.top({ limit: Infinity }).ranked);
      expect(y.top({ limit: 5, accept: (id) => id.endsWith('1') })).toEqual(x.top({ limit: 5, accept: (id) => id.endsWith('1') }));
    }
    expect(b.size).toBe(a.size);
  };

  it('answers every query with the same ids and scores as the index it was saved from, also after writes to both', () => {
    const built = KeywordIndex.build(docs, fields);
    // Removed and replaced rows before saving: their postings still count in the document frequencies.
    built.remove(['p3', 'p40', 'p41']);
    built.upsert([doc('p7'), doc('p8'), doc('new1')]);
    const loaded = KeywordIndex.fromSaved(built.saved(), { fields: [...fields].reverse() })!;
    expect(loaded).not.toBeNull();
    same(built, loaded, ['p10', 'p11', 'p12']);
    const writes = [doc('p20'), doc('p21'), doc('new2'), { id: 'new3', title: 'Brandnew Nike Kurta', attributes: { baseColour: 'Teal' } }];
    for (const index of [built, loaded]) {
      index.upsert(writes);
      index.remove(['p100', 'p5', 'new1']);
    }
    same(built, loaded);
    expect(loaded.search({ text: 'brandnew' }).map((m) => m.id)).toEqual(['new3']);
    // The saved arrays are the loaded index's own postings until a write copies a word's lists: saving again works.
    same(built, KeywordIndex.fromSaved(loaded.saved(), { fields })!);
  });

  it('is not loaded with other fields, other settings or another format', () => {
    const saved = KeywordIndex.build(docs, fields).saved();
    expect(KeywordIndex.fromSaved(saved, { fields: ['gender', 'baseColour'] })).toBeNull();
    expect(KeywordIndex.fromSaved(saved, { fields, settings: { combine: 'or' } })).toBeNull();
    expect(KeywordIndex.fromSaved({ ...saved, format: saved.format + 1 }, { fields })).toBeNull();
    expect(KeywordIndex.fromSaved({ ...saved, offsets: saved.offsets.subarray(1) }, { fields })).toBeNull();
  });
});
