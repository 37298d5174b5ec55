// The search page's controller: owns the state (URL part plus an in-memory photo), turns user actions
// into API calls, and hands the answers to the views. Each new search aborts the one in flight, so a
// slow answer can never overwrite a newer one.

import {
  ApiError,
  NETWORK_ERROR,
  fetchFacets,
  fetchLimits,
  fetchProduct,
  productImageUrl,
  search,
  type ApiLimits,
  type Facets,
  type Hit,
  type SearchMode,
  type SearchResponse,
  type UnmatchedFilter,
} from './api.js';
import { byId, h } from './dom.js';
import { countFilters, MAX_PAGES, stateFromSearch, stateToSearch, toggleFilter, type PageState } from './url-state.js';
import { fieldLabel, formatMs, hideError, renderFacets, renderHits, showError } from './view.js';
import { countsText, MODE_HINTS, MODE_LABELS, unmatchedText, type QueryKind } from './wording.js';

/** Results per "Load more", unless the server's largest k is smaller. */
const PAGE_SIZE = 24;
const DEBOUNCE_MS = 250;
/** Phone photos are often 5-12 MB; the model looks at 224 px, so big files are shrunk before upload. */
const SHRINK_ABOVE_BYTES = 2_000_000;
const MAX_UPLOAD_SIDE = 1024;

type HistoryMode = 'push' | 'replace' | 'none';

const input = byId<HTMLInputElement>('q');
const grid = byId('grid');
const status = byId('status');
const empty = byId('empty');
const loadMoreButton = byId<HTMLButtonElement>('load-more');
const facetsContainer = byId('facets');
const modeSelect = byId<HTMLSelectElement>('mode');
const filterNotice = byId('filter-notice');

let state: PageState = stateFromSearch(location.search);
let queryImage: File | null = null;
let queryImageUrl: string | null = null;
/** Title of the product behind "more like this", for the caption; unknown after a reload until it shows up. */
let likeTitle: string | null = null;
let hits: Hit[] = [];
let facets: Facets = {};
/** Facet fields in the server's order (the most selective first). */
let facetOrder: string[] = [];
/** Known once the server's limits arrive: the mode a search without one gets, and the photo formats it takes. */
let serverDefaults: Pick<ApiLimits, 'defaultMode' | 'imageFormats' | 'imageTypes'> | null = null;
let inFlight: AbortController | null = null;
let debounceTimer: number | undefined;
/** True while the history entry on top was made by typing, so further keystrokes replace it. */
let typingEntry = false;
/** The server's limits (its config decides the largest k and offset); asked once, again after a failure. */
let limitsRequest: Promise<ApiLimits> | null = null;

function serverLimits(): Promise<ApiLimits> {
  limitsRequest ??= fetchLimits().then(
    (limits) => {
      serverDefaults = limits;
      describeServer(limits);
      return limits;
    },
    (error: unknown) => {
      limitsRequest = null;
      throw error;
    },
  );
  return limitsRequest;
}

/** The mode control's default and the photo formats, as the server's config says. */
function describeServer(limits: ApiLimits): void {
  for (const option of modeSelect.options) {
    const mode = option.value as SearchMode;
    option.textContent = mode === limits.defaultMode ? `${MODE_LABELS[mode]} (default)` : MODE_LABELS[mode];
  }
  const formats = listWords(limits.imageFormats);
  byId('search-hint').textContent = `Results appear as you type. You can also drop or paste a photo (${formats}) anywhere on the page.`;
  byId<HTMLInputElement>('image-input').accept = limits.imageTypes.join(',');
  syncControls();
}

/** "JPEG, PNG or WebP". */
function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The mode the page asks for: the one chosen, else the server's default. */
function currentMode(): SearchMode | null {
  return state.mode ?? serverDefaults?.defaultMode ?? null;
}

function queryKind(): QueryKind {
  if (state.productId) return 'like';
  if (queryImage) return 'photo';
  return 'text';
}

/** Hits per page: the page's own size, or the server's largest k if that is smaller. */
function pageSize(limits: ApiLimits): number {
  return Math.min(PAGE_SIZE, limits.maxK);
}

function hasQuery(): boolean {
  return state.text.trim() !== '' || state.productId !== null || queryImage !== null;
}

function commitUrl(mode: HistoryMode): void {
  typingEntry = false;
  if (mode === 'none') return;
  const url = location.pathname + stateToSearch(state);
  if (url === location.pathname + location.search) return;
  if (mode === 'push') history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

function startRequest(): AbortController {
  inFlight?.abort();
  inFlight = new AbortController();
  document.body.classList.add('busy');
  grid.setAttribute('aria-busy', 'true');
  return inFlight;
}

function finishRequest(controller: AbortController): void {
  if (inFlight !== controller) return;
  inFlight = null;
  document.body.classList.remove('busy');
  grid.removeAttribute('aria-busy');
}

function searchPage(offset: number, k: number, withFacets: boolean, signal: AbortSignal): Promise<SearchResponse> {
  return search(
    {
      text: state.text.trim() || undefined,
      mode: state.mode ?? undefined,
      productId: state.productId ?? undefined,
      image: queryImage ?? undefined,
      k,
      offset,
      filters: state.filters,
      facets: withFacets,
    },
    signal,
  );
}

/** Another page exists, the server takes its offset, and the URL can still say how many pages are shown. */
function moreAvailable(page: SearchResponse, requested: number, shown: number, limits: ApiLimits): boolean {
  return page.hits.length >= requested && shown < page.total && shown <= limits.maxOffset && shown < MAX_PAGES * pageSize(limits);
}

/** Re-runs the whole search for the current state (first `state.pages` pages, with facet counts). */
async function refresh(mode: HistoryMode): Promise<void> {
  window.clearTimeout(debounceTimer);
  commitUrl(mode);
  syncControls();
  const controller = startRequest();
  const started = performance.now();
  try {
    if (!hasQuery()) {
      const answer = await fetchFacets(state.filters, controller.signal);
      hideError();
      hits = [];
      facets = answer.facets;
      facetOrder = answer.facetOrder;
      showUnmatched(answer.unmatchedFilters);
      grid.replaceChildren();
      loadMoreButton.hidden = true;
      status.textContent = '';
      showEmpty(
        `Type what you are looking for, or drop a photo anywhere on the page. ` +
          `${answer.total.toLocaleString('en')} products ${countFilters(state.filters) > 0 ? 'match the filters' : 'in the catalog'}.`,
        'welcome',
      );
      drawFacets();
      return;
    }
    const limits = await serverLimits();
    // A restored "pages=5" link is fetched in chunks of the server's largest k.
    const wanted = Math.min(state.pages, MAX_PAGES) * pageSize(limits);
    let requested = Math.min(wanted, limits.maxK);
    const first = await searchPage(0, requested, true, controller.signal);
    const collected = [...first.hits];
    let last = first;
    let tookMs = first.tookMs;
    while (collected.length < wanted && moreAvailable(last, requested, collected.length, limits)) {
      requested = Math.min(limits.maxK, wanted - collected.length);
      last = await searchPage(collected.length, requested, false, controller.signal);
      collected.push(...last.hits);
      tookMs += last.tookMs;
    }
    hideError();
    hits = collected;
    facets = first.facets ?? facets;
    facetOrder = first.facetOrder ?? facetOrder;
    showUnmatched(first.unmatchedFilters);
    if (state.productId && !likeTitle) void lookUpLikeTitle(state.productId);
    renderHits(grid, hits, false, moreLikeThis);
    loadMoreButton.hidden = !moreAvailable(last, requested, hits.length, limits);
    showStatus(first.total, first.mode, tookMs, performance.now() - started);
    if (first.truncated) status.append(' · your text was shortened to what the model reads');
    if (hits.length === 0) {
      showEmpty(
        countFilters(state.filters) > 0
          ? 'No products match this search with these filters. Try removing a filter.'
          : 'No products match this search. Try other words or another photo.',
        'none',
      );
    } else {
      empty.hidden = true;
    }
    syncControls();
    drawFacets();
  } catch (error) {
    if (!controller.signal.aborted) handleError(error);
  } finally {
    finishRequest(controller);
  }
}

async function loadMore(): Promise<void> {
  const controller = startRequest();
  const started = performance.now();
  try {
    const limits = await serverLimits();
    const size = pageSize(limits);
    const page = await searchPage(hits.length, size, false, controller.signal);
    const hadFocus = document.activeElement === loadMoreButton;
    hideError();
    hits.push(...page.hits);
    renderHits(grid, page.hits, true, moreLikeThis);
    loadMoreButton.hidden = !moreAvailable(page, size, hits.length, limits);
    state.pages = Math.min(Math.ceil(hits.length / size), MAX_PAGES);
    commitUrl('replace');
    showStatus(page.total, page.mode, page.tookMs, performance.now() - started);
    // When the last page hides the button, its focus would drop to the page top: hand it to the first new result.
    if (hadFocus && loadMoreButton.hidden && page.hits.length > 0) {
      grid.querySelector<HTMLElement>(`li.card:nth-child(${hits.length - page.hits.length + 1}) button`)?.focus();
    }
  } catch (error) {
    if (!controller.signal.aborted) handleError(error);
  } finally {
    finishRequest(controller);
  }
}

/** A link to "more like this" carries only the id; the caption wants the title (best effort). */
async function lookUpLikeTitle(productId: string): Promise<void> {
  try {
    const product = await fetchProduct(productId);
    if (state.productId !== productId || likeTitle) return;
    likeTitle = product.title;
    syncControls();
  } catch {
    // The caption keeps showing the id.
  }
}

function showStatus(total: number, mode: SearchMode, tookMs: number, roundTripMs: number): void {
  const counts = countsText({ kind: queryKind(), mode, shown: hits.length, total, filtered: countFilters(state.filters) > 0 });
  status.textContent = `${counts} · search took ${formatMs(tookMs)} (${formatMs(roundTripMs)} with the network)`;
}

/** Filter values (from a link, say) that no product holds: say so, and offer the closest values instead. */
function showUnmatched(unmatched: readonly UnmatchedFilter[]): void {
  filterNotice.replaceChildren(
    ...unmatched.map((u) =>
      h(
        'p',
        {},
        unmatchedText(fieldLabel(u.field), u.value, u.closest),
        ...u.closest.slice(0, 1).map((value) =>
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                state = { ...state, filters: toggleFilter(toggleFilter(state.filters, u.field, u.value, false), u.field, value, true), pages: 1 };
                void refresh('push');
              },
            },
            `Use “${value}”`,
          ),
        ),
      ),
    ),
  );
  filterNotice.hidden = unmatched.length === 0;
}

function showEmpty(message: string, kind: 'welcome' | 'none'): void {
  empty.replaceChildren(message);
  empty.dataset.kind = kind;
  if (kind === 'none' && countFilters(state.filters) > 0) {
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.textContent = 'Clear filters';
    clear.addEventListener('click', clearFilters);
    empty.append(' ', clear);
  }
  empty.hidden = false;
}

function handleError(error: unknown): void {
  const apiError =
    error instanceof ApiError ? error : new ApiError('INTERNAL', error instanceof Error ? error.message : String(error), 0);
  const photoProblem = ['INVALID_IMAGE', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'].includes(apiError.code);
  if (photoProblem && queryImage) {
    const name = queryImage.name;
    setQueryImage(null);
    syncControls();
    const title = apiError.code === 'PAYLOAD_TOO_LARGE' ? 'That photo is too large.' : 'That file could not be read as a photo.';
    showError(title, `“${name}”: ${apiError.message}`, false);
    return;
  }
  empty.hidden = true; // A welcome or "no results" note would contradict the error.
  if (apiError.code === NETWORK_ERROR) {
    showError('Cannot reach the server.', apiError.message, true);
    return;
  }
  if (apiError.code === 'UNKNOWN_FILTER_FIELD') {
    showError('A filter in this link does not exist in this index.', `${apiError.message} Clear the filters to go on.`, false);
    return;
  }
  if (apiError.code === 'NOT_FOUND' && state.productId) {
    showError('That product is not in the index.', `${apiError.message} Clear the photo to go on.`, false);
    return;
  }
  showError('The search failed.', `${apiError.message} (${apiError.code})`, true);
}

function syncControls(): void {
  if (input.value !== state.text) input.value = state.text;
  const mode = currentMode();
  if (mode) {
    modeSelect.value = mode;
    byId('mode-hint').textContent = MODE_HINTS[mode];
  }

  const panel = byId('query-photo');
  const image = byId<HTMLImageElement>('query-photo-img');
  const caption = byId('query-photo-caption');
  image.hidden = false;
  if (queryImage && queryImageUrl) {
    image.src = queryImageUrl;
    image.alt = 'Your photo';
    caption.textContent = `Searching with your photo “${queryImage.name}”`;
    panel.hidden = false;
  } else if (state.productId) {
    image.src = productImageUrl(state.productId);
    image.alt = likeTitle ?? `Product ${state.productId}`;
    caption.textContent = `More like “${likeTitle ?? state.productId}”`;
    panel.hidden = false;
  } else {
    panel.hidden = true;
    image.removeAttribute('src');
  }

  const active = countFilters(state.filters);
  const badge = byId('filter-count');
  badge.textContent = String(active);
  badge.hidden = active === 0;
  byId('clear-filters').hidden = active === 0;

  const subject = state.text.trim() || (queryImage || state.productId ? 'Photo search' : '');
  document.title = subject ? `${subject} · Vitrine` : 'Vitrine: search the catalog';
}

function drawFacets(): void {
  renderFacets(facetsContainer, facets, facetOrder, state.filters, {
    onToggle(field, value, on) {
      state = { ...state, filters: toggleFilter(state.filters, field, value, on), pages: 1 };
      void refresh('push');
    },
  });
}

function clearFilters(): void {
  state = { ...state, filters: {}, pages: 1 };
  void refresh('push');
}

function moreLikeThis(hit: Hit): void {
  setQueryImage(null);
  likeTitle = hit.title;
  state = { ...state, text: '', productId: hit.id, pages: 1 };
  window.scrollTo({ top: 0 });
  byId('results').focus({ preventScroll: true });
  void refresh('push');
}

function setQueryImage(file: File | null): void {
  if (queryImageUrl) URL.revokeObjectURL(queryImageUrl);
  queryImage = file;
  queryImageUrl = file ? URL.createObjectURL(file) : null;
}

async function useImage(file: File): Promise<void> {
  const limits = await serverLimits().catch(() => null);
  const formats = limits ? listWords(limits.imageFormats) : 'JPEG, PNG or WebP';
  if (file.type && !file.type.startsWith('image/')) {
    showError('That file is not a photo.', `“${file.name}” is ${file.type}. Choose a ${formats} photo.`, false);
    return;
  }
  // The server refuses the same (an SVG is a drawing, not a photo); saying so here saves the upload.
  if (file.type && limits && !limits.imageTypes.includes(file.type)) {
    showError('That kind of image is not accepted.', `“${file.name}” is ${file.type}. Choose a ${formats} photo.`, false);
    return;
  }
  setQueryImage(await shrinkIfLarge(file));
  likeTitle = null;
  state = { ...state, productId: null, pages: 1 };
  await refresh('push');
}

async function shrinkIfLarge(file: File): Promise<File> {
  if (file.size <= SHRINK_ABOVE_BYTES) return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_UPLOAD_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
    return blob ? new File([blob], `${file.name.replace(/\.[^.]+$/, '')}.jpg`, { type: 'image/jpeg' }) : file;
  } catch {
    return file; // The browser cannot decode it either; the server gives the verdict and the message.
  }
}

function wireSearchBox(): void {
  byId<HTMLFormElement>('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state = { ...state, text: input.value, pages: 1 };
    void refresh(typingEntry ? 'replace' : 'push');
  });
  input.addEventListener('input', () => {
    window.clearTimeout(debounceTimer);
    debounceTimer = window.setTimeout(() => {
      if (input.value === state.text) return;
      const mode: HistoryMode = typingEntry ? 'replace' : 'push';
      state = { ...state, text: input.value, pages: 1 };
      void refresh(mode);
      typingEntry = true;
    }, DEBOUNCE_MS);
  });
}

function wirePhotoInputs(): void {
  const fileInput = byId<HTMLInputElement>('image-input');
  byId('pick-image').addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    fileInput.value = ''; // Picking the same file again must fire "change" again.
    if (file) void useImage(file);
  });

  const overlay = byId('drop-overlay');
  let dragDepth = 0;
  const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
  document.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    dragDepth += 1;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', (event) => {
    if (!carriesFiles(event)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) overlay.hidden = true;
  });
  document.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    overlay.hidden = true;
    const file = event.dataTransfer?.files[0];
    if (file) void useImage(file);
  });

  document.addEventListener('paste', (event) => {
    const item = [...(event.clipboardData?.items ?? [])].find((entry) => entry.kind === 'file');
    const file = item?.getAsFile();
    if (!file) return; // Plain text pastes into the search box as usual.
    event.preventDefault();
    void useImage(file);
  });

  byId('clear-photo').addEventListener('click', () => {
    setQueryImage(null);
    likeTitle = null;
    state = { ...state, productId: null, pages: 1 };
    input.focus();
    void refresh('push');
  });
}

function wireControls(): void {
  loadMoreButton.addEventListener('click', () => void loadMore());
  modeSelect.addEventListener('change', () => {
    const mode = modeSelect.value as SearchMode;
    // The server's default is not written into the URL, so a shared link follows the server's choice.
    state = { ...state, mode: serverDefaults && mode === serverDefaults.defaultMode ? null : mode, pages: 1 };
    if (state.text.trim()) void refresh('push');
    else {
      commitUrl('replace');
      syncControls();
    }
  });
  const queryPhoto = byId<HTMLImageElement>('query-photo-img');
  queryPhoto.addEventListener('error', () => {
    if (queryPhoto.getAttribute('src')) queryPhoto.hidden = true; // The caption still says what is searched.
  });
  byId('clear-filters').addEventListener('click', clearFilters);
  byId('retry').addEventListener('click', () => void refresh('none'));
  byId('dismiss-error').addEventListener('click', hideError);
  window.addEventListener('popstate', () => {
    state = stateFromSearch(location.search);
    setQueryImage(null); // A photo is not part of history; the URL's state is what comes back.
    likeTitle = null;
    void refresh('none');
  });
  // Filters stay open where there is room beside the results (the HTML opens them, so no flash); fold on a phone.
  byId<HTMLDetailsElement>('filters').open = window.matchMedia('(min-width: 48em)').matches;
}

wireSearchBox();
wirePhotoInputs();
wireControls();
// Asked for at once, beside the first answer; a failure shows when a search needs them.
serverLimits().catch(() => undefined);
void refresh('replace');
