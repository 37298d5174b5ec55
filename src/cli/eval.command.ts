// `vitrine eval <task>`: measures search quality through the same model runtime, indexer and store users run,
// and writes results.json, results.md, charts (SVG + PNG) and report.html. Parse -> config -> runtime -> service.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { action, collect } from './common.js';
import type { Product } from '../domain/types.js';
import { AppError, errorMessage } from '../errors/app-error.js';
import { readCatalog } from '../stores/catalog/read-catalog.js';
import { buildEvalRuntime as defaultEvalRuntime } from '../context.js';
import { consoleProgress, type ProgressReporter } from '../eval/progress.js';
import { runRetrievalEval, type QuerySource, type RetrievalTask } from '../eval/retrieval.service.js';
import { SEARCH_MODES, type SearchMode } from '../services/search.service.js';
import { renderMarkdown } from '../eval/report/markdown.js';
import { writeReport } from '../eval/report/write-report.js';
import type { EvalResults } from '../eval/results.js';
import { DEFAULT_ZERO_SHOT_PROMPT, runZeroShotEval } from '../eval/zero-shot.service.js';
import { DEFAULT_QUERY_SEED, parseBrandList } from '../eval/query-sets.js';
import { parseTransforms } from '../eval/photo-transforms.js';
import { parseLabelMap, selectPhotos, type LabelMap, type PhotoHalf } from '../eval/real-photos.js';
import { runRobustnessEval } from '../eval/robustness.service.js';
import { inSplit } from '../eval/queries.js';
import { PACKAGE_ROOT } from '../model/load-model.js';
import { parseLabelsCsv } from '../eval/zero-shot.js';

interface CommonOptions {
  model?: string[];
  k?: number[];
  depth?: number;
  out?: string;
  cacheDir?: string;
  heatmap: number;
  batchSize?: number;
  threads?: number;
  data?: string;
  config?: string;
}

interface CatalogOptions extends CommonOptions {
  catalog: string;
  /** Text tasks: how queries are searched, one table column per mode. */
  mode?: SearchMode[];
  images?: string;
  gallerySplit?: string;
  refreshIndex?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer of 0 or more');
  return n;
}

function modeList(value: string): SearchMode[] {
  const modes = value.split(',').map((m) => m.trim());
  const bad = modes.filter((m) => !SEARCH_MODES.includes(m as SearchMode));
  if (bad.length > 0) throw new InvalidArgumentError(`modes are ${SEARCH_MODES.join(', ')}; got ${bad.join(', ')}`);
  return [...new Set(modes as SearchMode[])];
}

/** Text tasks measure the model (vector) unless asked for the keyword and hybrid search modes too. */
function addModeOption(command: Command): Command {
  return command.option('--mode <list>', 'how text queries are searched, comma-separated: vector (the model alone), keyword, hybrid; one column each', modeList, ['vector'] as SearchMode[]);
}

function kList(value: string): number[] {
  return value.split(',').map((s) => positiveInt(s.trim()));
}

function addCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('--model <folder|hf-id>', 'model to evaluate; repeat to compare several in one table (default: VITRINE_MODEL or the house model)').argParser(collect))
    .option('--k <list>', 'cut-offs for recall, precision, MRR and nDCG', kList)
    .option('--depth <n>', 'results retrieved per query; mAP is over this list (default: max(100, largest k))', positiveInt)
    .option('--out <dir>', 'output folder (default: ./vitrine-eval/<task>)')
    .option('--cache-dir <dir>', 'where gallery indexes are kept between runs (default: <data dir>/eval-cache)')
    .option('--heatmap <n>', 'products in the text-vs-image similarity heat map (0: none)', nonNegativeInt, 12)
    .option('--batch-size <n>', 'texts/images per model call', positiveInt)
    .option('--threads <n>', 'ONNX Runtime threads', positiveInt)
    .option('--data <dir>', 'data dir (default: VITRINE_DATA or ./vitrine-data)')
    .option('--config <file>', 'JSON config file');
}

function addCatalogOptions(command: Command): Command {
  return command
    .requiredOption('--catalog <file>', 'catalog: .csv, .jsonl or a folder of images')
    .option('--images <dir>', 'folder of <id>.jpg photos when the catalog has no image column')
    .option('--gallery-split <name>', 'search only products of this split (default: the whole catalog)')
    .option('--refresh-index', 're-read every gallery photo and re-embed changed ones even when a saved index is complete');
}

function configFrom(options: CommonOptions): Config {
  return loadConfig({
    configFile: options.config,
    flags: { dataDir: options.data, batchSize: options.batchSize, threads: options.threads },
  });
}

function modelsFrom(options: CommonOptions, config: Config): string[] {
  return options.model && options.model.length > 0 ? options.model : [config.model ?? 'house'];
}

async function readProducts(options: CatalogOptions, progress: ProgressReporter): Promise<Product[]> {
  const products: Product[] = [];
  let failed = 0;
  for await (const entry of readCatalog({ source: options.catalog, images: options.images })) {
    if (entry.ok) products.push(entry.product);
    else {
      failed++;
      if (failed <= 5) progress.log(`catalog: skipped ${entry.reason}`);
    }
  }
  if (failed > 0) progress.log(`catalog: ${failed} rows skipped, ${products.length} products read`);
  return products;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AppError('BAD_REQUEST', `${what} ${file} cannot be read: ${errorMessage(e)}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError('BAD_REQUEST', `${what} ${file} is not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
}

/** The reviewed brand list shipped with Vitrine (brands learnt from the shared catalog's titles). */
const DEFAULT_BRANDS_FILE = path.join(PACKAGE_ROOT, 'data/brands.txt');
/** The reviewed label -> articleTypes map of shared/data/real-photos. */
const DEFAULT_LABEL_MAP_FILE = path.join(PACKAGE_ROOT, 'data/real-photo-labels.json');

async function readLabelMap(file: string): Promise<LabelMap> {
  try {
    return parseLabelMap(await readJson(file, 'label map'));
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('BAD_REQUEST', `label map ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

async function readLabels(file: string): Promise<{ file: string; label: string }[]> {
  try {
    return parseLabelsCsv(await readFile(file, 'utf8'));
  } catch (e) {
    throw new AppError('BAD_REQUEST', `labels file ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

function halfOption(value: string): PhotoHalf | undefined {
  if (value === 'all') return undefined;
  if (value === 'select' || value === 'report') return value;
  throw new InvalidArgumentError('expected select, report or all');
}

async function readBrands(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AppError('BAD_REQUEST', `brand list ${file} cannot be read: ${errorMessage(e)}`, { cause: e });
  }
  const brands = parseBrandList(text);
  if (brands.length === 0) throw new AppError('BAD_REQUEST', `brand list ${file} names no brand (one per line)`);
  return brands;
}

function typoOption(options: { typos?: boolean; seed: number }) {
  return options.typos ? { seed: options.seed } : undefined;
}

function addTypoOptions(command: Command): Command {
  return command
    .option('--typos', 'give every query one seeded one-character edit (delete, insert, substitute or transpose)')
    .option('--seed <n>', 'seed of the typo edits', nonNegativeInt, DEFAULT_QUERY_SEED);
}

async function finish(results: EvalResults, outDir: string): Promise<void> {
  const files = await writeReport(results, { outDir });
  process.stdout.write(`${renderMarkdown(results)}\n`);
  process.stdout.write(
    [`results: ${files.json}`, `table:   ${files.markdown}`, `report:  ${files.html}`, ...files.charts.map((c) => `chart:   ${c.svg} (+ .png)`)].join('\n') + '\n',
  );
}

async function runRetrieval(task: RetrievalTask, options: CatalogOptions, queries: QuerySource, extra: { doc?: string }): Promise<void> {
  const config = configFrom(options);
  const progress = consoleProgress();
  const products = await readProducts(options, progress);
  const results = await runRetrievalEval({
    task,
    models: modelsFrom(options, config),
    products,
    catalog: { source: options.catalog, ...(options.images ? { images: options.images } : {}) },
    queries,
    gallerySplit: options.gallerySplit,
    doc: extra.doc,
    modes: options.mode,
    hybrid: config.hybrid,
    ks: options.k,
    depth: options.depth,
    cacheDir: options.cacheDir ?? path.join(config.dataDir, 'eval-cache'),
    refreshIndex: options.refreshIndex,
    heatmapSize: options.heatmap,
    batchSize: config.batchSize,
    recordedOptions: { task, ...options },
    runtime: defaultEvalRuntime(config),
    progress,
  });
  await finish(results, options.out ?? path.join('vitrine-eval', task));
}

/**
 * Registers `vitrine eval` and its tasks on the program.
 *
 * Example: `vitrine eval attribute --catalog catalog.csv --images images --field baseColour --prompt "a photo of {} clothes"`
 */
export function registerEvalCommand(program: Command): Command {
  const evalCommand = program
    .command('eval')
    .description('measure search quality (recall@k, precision@k, MRR, nDCG, mAP; zero-shot accuracy) and write a report');

  addModeOption(addCommonOptions(addCatalogOptions(evalCommand.command('text-to-image'))))
    .description('text queries against product photos; relevance from a qrels file or from identical titles')
    .option('--qrels <file>', 'BEIR-style qrels JSON: {"<query text>": {"<product id>": 1}}')
    .addOption(new Option('--queries-from <field>', 'generate queries from a catalog field: each distinct value is a query').choices(['title']))
    .option('--split <name>', 'with --queries-from: take query values from this split only')
    .action(
      action(async (options: CatalogOptions & { qrels?: string; queriesFrom?: string; split?: string }) => {
        if ((options.qrels === undefined) === (options.queriesFrom === undefined)) {
          throw new AppError('BAD_REQUEST', 'text-to-image needs exactly one of --qrels <file> or --queries-from title');
        }
        const queries: QuerySource = options.qrels
          ? { kind: 'qrels', file: options.qrels, document: await readJson(options.qrels, 'qrels file') }
          : { kind: 'field-text', field: options.queriesFrom as string, split: options.split };
        await runRetrieval('text-to-image', options, queries, {});
      }),
    );

  addModeOption(addTypoOptions(addCommonOptions(addCatalogOptions(evalCommand.command('attribute')))))
    .description('one text query per distinct value of a field (e.g. baseColour); relevant = products with that value')
    .requiredOption('--field <name>', 'attribute whose values become queries')
    .option('--prompt <template>', 'query template with {} for the value, e.g. "a photo of {} clothes"')
    .option('--doc <spec>', 'documents: image, text, or a weighted mix like image:0.9,text:0.1', 'image')
    .option('--split <name>', 'take query values from this split only')
    .action(
      action(async (options: CatalogOptions & { field: string; prompt?: string; doc: string; split?: string; typos?: boolean; seed: number }) => {
        const queries: QuerySource = { kind: 'field-text', field: options.field, prompt: options.prompt, split: options.split, typo: typoOption(options) };
        await runRetrieval('attribute', options, queries, { doc: options.doc });
      }),
    );

  addModeOption(addTypoOptions(addCommonOptions(addCatalogOptions(evalCommand.command('brand')))))
    .description('"<brand> <articleType>" queries, brands matched in titles from a reviewed list; relevant = products with both')
    .option('--brands <file>', 'brand list, one per line (# comments)', DEFAULT_BRANDS_FILE)
    .option('--field <name>', 'field combined with the brand', 'articleType')
    .option('--doc <spec>', 'documents: image, text, or a weighted mix like image:0.9,text:0.1', 'image')
    .option('--split <name>', 'take (brand, value) pairs from this split only')
    .action(
      action(async (options: CatalogOptions & { brands: string; field: string; doc: string; split?: string; typos?: boolean; seed: number }) => {
        const brands = await readBrands(options.brands);
        const queries: QuerySource = { kind: 'brand', brands, field: options.field, split: options.split, typo: typoOption(options) };
        await runRetrieval('brand', options, queries, { doc: options.doc });
      }),
    );

  addCommonOptions(addCatalogOptions(evalCommand.command('image-to-image')))
    .description("a product's photo as query; relevant = other products with the same field value")
    .requiredOption('--field <name>', 'attribute that defines relevance, e.g. articleType')
    .option('--split <name>', 'query with products of this split only (e.g. test)')
    .action(
      action(async (options: CatalogOptions & { field: string; split?: string }) => {
        await runRetrieval('image-to-image', options, { kind: 'field-image', field: options.field, split: options.split }, {});
      }),
    );

  addCommonOptions(evalCommand.command('zero-shot'))
    .description('classify each labelled image by its nearest class prompt: accuracy, macro-F1, confusion matrix')
    .requiredOption('--images <dir>', 'folder the file column of the labels is relative to')
    .requiredOption('--labels <file>', 'CSV with columns file,label')
    .addOption(new Option('--prompt <template>', `class prompt with {} for the label; repeat to average several (default: "${DEFAULT_ZERO_SHOT_PROMPT}")`).argParser(collect))
    .option('--label-map <file>', 'keep only photos whose label is a key of this JSON map (e.g. data/real-photo-labels.json)')
    .option('--half <half>', 'select, report or all: the fixed hash split of the photos (file name)', halfOption)
    .action(
      action(async (options: CommonOptions & { images: string; labels: string; prompt?: string[]; labelMap?: string; half?: PhotoHalf }) => {
        const config = configFrom(options);
        let samples = await readLabels(options.labels);
        if (options.labelMap || options.half) {
          const map = options.labelMap ? await readLabelMap(options.labelMap) : Object.fromEntries(samples.map((r) => [r.label, [r.label]]));
          samples = selectPhotos(samples, map, options.half);
        }
        const results = await runZeroShotEval({
          models: modelsFrom(options, config),
          imagesDir: options.images,
          labelsFile: options.labels,
          samples,
          prompts: options.prompt,
          batchSize: config.batchSize,
          recordedOptions: { task: 'zero-shot', ...options },
          runtime: defaultEvalRuntime(config),
          progress: consoleProgress(),
        });
        await finish(results, options.out ?? path.join('vitrine-eval', 'zero-shot'));
      }),
    );

  addCommonOptions(addCatalogOptions(evalCommand.command('robustness')))
    .description('photos unlike the catalog\'s as image queries: labelled photos, seeded held-out transforms, other photos of the same products')
    .option('--photos <dir>', 'folder of photos; the file column of --labels is relative to it')
    .option('--labels <file>', 'CSV with columns file,label for --photos')
    .option('--label-map <file>', 'JSON: label -> catalog values (of --field) that count as the same kind', DEFAULT_LABEL_MAP_FILE)
    .option('--half <half>', 'select, report or all: the fixed hash split of the photos by file name', halfOption)
    .option('--transforms <list>', 'held-out transforms of catalog photos: all, or some of gamma,vignette,occlusion,sharpen,pixelate,webp')
    .option('--split <name>', 'with --transforms / --hires-images: query with products of this split (e.g. val)')
    .option('--sample <n>', 'with --transforms: products per transform (a seeded sample)', positiveInt, 500)
    .option('--seed <n>', 'seed of the sample and the transforms', nonNegativeInt, DEFAULT_QUERY_SEED)
    .option('--hires-images <dir>', 'other photos of catalog products as <dir>/<id>.jpg (e.g. the 224x224 versions)')
    .option('--field <name>', 'field that defines the same kind of product', 'articleType')
    .action(
      action(
        async (
          options: CatalogOptions & { photos?: string; labels?: string; labelMap: string; half?: PhotoHalf; transforms?: string; split?: string; sample: number; seed: number; hiresImages?: string; field: string },
        ) => {
          if ((options.photos === undefined) !== (options.labels === undefined)) throw new AppError('BAD_REQUEST', '--photos and --labels go together');
          const config = configFrom(options);
          const progress = consoleProgress();
          const products = await readProducts(options, progress);
          let photos;
          if (options.photos && options.labels) {
            const labelMap = await readLabelMap(options.labelMap);
            const rows = selectPhotos(await readLabels(options.labels), labelMap, options.half);
            photos = { dir: options.photos, labelsFile: options.labels, labelMapFile: options.labelMap, rows, labelMap, half: options.half };
          }
          let transforms;
          if (options.transforms) {
            try {
              transforms = parseTransforms(options.transforms);
            } catch (e) {
              throw new AppError('BAD_REQUEST', `--transforms: ${errorMessage(e)}`, { cause: e });
            }
          }
          let hires;
          if (options.hiresImages) {
            let files: string[];
            try {
              files = await readdir(options.hiresImages);
            } catch (e) {
              throw new AppError('BAD_REQUEST', `--hires-images ${options.hiresImages} cannot be read: ${errorMessage(e)}`, { cause: e });
            }
            const present = new Set(files);
            const refs = inSplit(products, options.split)
              .filter((p) => present.has(`${p.id}.jpg`))
              .map((p) => ({ productId: p.id, ref: path.resolve(options.hiresImages as string, `${p.id}.jpg`) }));
            hires = { dir: options.hiresImages, refs };
          }
          const results = await runRobustnessEval({
            models: modelsFrom(options, config),
            products,
            catalog: { source: options.catalog, ...(options.images ? { images: options.images } : {}) },
            gallerySplit: options.gallerySplit,
            field: options.field,
            photos,
            transformed: transforms ? { split: options.split, sample: options.sample, transforms, seed: options.seed } : undefined,
            hires,
            ks: options.k,
            cacheDir: options.cacheDir ?? path.join(config.dataDir, 'eval-cache'),
            refreshIndex: options.refreshIndex,
            batchSize: config.batchSize,
            recordedOptions: { task: 'robustness', ...options },
            runtime: defaultEvalRuntime(config),
            progress,
          });
          await finish(results, options.out ?? path.join('vitrine-eval', 'robustness'));
        },
      ),
    );

  return evalCommand;
}
