// Reads a request's fields with a wire schema. Forms and query strings carry only text, so text becomes the
// number, boolean or object the schema declares before the schema checks the types (JSON bodies get the same
// leniency, as they always had). A failure is a BAD_REQUEST (or the given code) naming the first problem.
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];

/** The schema's own kind under optional/default wrappers: 'number', 'boolean', 'record', 'string', ... */
function kindOf(schema: z.ZodType): string {
  let def = schema._zod.def as { type: string; innerType?: z.ZodType };
  while ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) {
    def = def.innerType._zod.def as typeof def;
  }
  return def.type;
}

function decode(kind: string, value: unknown): unknown {
  // An empty form field or a JSON null means "not given", as it always has.
  if (value === null || value === '') return undefined;
  if (kind === 'number' && typeof value === 'string') return Number(value);
  if (kind === 'boolean' && typeof value !== 'boolean') return TRUE_WORDS.includes(String(value).toLowerCase());
  if ((kind === 'record' || kind === 'object') && typeof value === 'string') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // The schema reports it as the wrong type, with its own message.
    }
  }
  return value;
}

export interface ParseFieldsOptions {
  /** Error code for a failure; BAD_REQUEST by default. */
  code?: ErrorCode;
}

/**
 * Typed fields of a request, or an AppError.
 * @example const { filters } = parseFields(FacetsQuerySchema, request.query as Record<string, unknown>)
 */
export function parseFields<S extends z.ZodObject>(schema: S, raw: Record<string, unknown>, options: ParseFieldsOptions = {}): z.infer<S> {
  const decoded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const field = schema.shape[name] as z.ZodType | undefined;
    decoded[name] = field ? decode(kindOf(field), value) : value;
  }
  const parsed = schema.safeParse(decoded);
  if (parsed.success) return parsed.data;
  // The schemas word their messages for clients (`k must be a number`); the first problem is enough.
  throw new AppError(options.code ?? 'BAD_REQUEST', parsed.error.issues[0].message);
}
