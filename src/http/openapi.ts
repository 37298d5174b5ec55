// The OpenAPI 3.1 document, generated from the route list and the wire schemas (src/api) with the limits of
// the running config, served at /openapi.json and rendered at /docs. Shared shapes become components.
import { z } from 'zod';
import { WriteResultSchema } from '../api/catalog.schema.js';
import { ApiLimitsSchema, type ApiLimits } from '../api/limits.schema.js';
import { FacetsSchema, FiltersSchema, HitSchema, ProductSchema, SearchResponseSchema, FacetsResponseSchema } from '../api/search.schema.js';
import { ErrorBodySchema, ReadinessSchema } from '../api/status.schema.js';
import { ConfigSchema } from '../config/config.js';
import { apiLimits } from './api-limits.js';
import type { OperationDoc, RouteSpec } from './route.js';
import { ROUTES } from './routes/route-list.js';

type JsonSchema = Record<string, unknown>;

/** Shapes that several operations share, listed once under components.schemas by these names. */
const COMPONENTS: Record<string, z.ZodType> = {
  Error: ErrorBodySchema,
  Filters: FiltersSchema,
  Hit: HitSchema,
  Product: ProductSchema,
  Facets: FacetsSchema,
  SearchResult: SearchResponseSchema,
  FacetsResult: FacetsResponseSchema,
  Readiness: ReadinessSchema,
  Limits: ApiLimitsSchema,
  WriteResult: WriteResultSchema,
};

const SAFE_INTEGER_BOUNDS = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 0 - Number.MAX_SAFE_INTEGER];

/**
 * JSON Schemas for the components and for each operation's own shapes, in one pass so that an operation's
 * schema refers to a component instead of repeating it.
 */
function generateSchemas(inline: z.ZodType[]): { components: Record<string, JsonSchema>; inline: Map<z.ZodType, JsonSchema> } {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const inlineIds = new Map<z.ZodType, string>();
  for (const schema of inline) {
    if (registry.has(schema) || inlineIds.has(schema)) continue;
    const id = `inline-${inlineIds.size}`;
    inlineIds.set(schema, id);
    registry.add(schema, { id });
  }
  const { schemas } = z.toJSONSchema(registry, {
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
    override: ({ jsonSchema }) => {
      // z.number().int() states the safe-integer range; it says nothing a reader needs.
      if (SAFE_INTEGER_BOUNDS.includes(jsonSchema.minimum as number)) delete jsonSchema.minimum;
      if (SAFE_INTEGER_BOUNDS.includes(jsonSchema.maximum as number)) delete jsonSchema.maximum;
      // Record keys are strings in JSON anyway.
      delete jsonSchema.propertyNames;
    },
  });
  const clean = (schema: JsonSchema): JsonSchema => {
    const { $schema: _s, $id: _i, ...rest } = schema;
    return rest;
  };
  const components: Record<string, JsonSchema> = {};
  for (const id of Object.keys(COMPONENTS)) components[id] = clean(schemas[id] as JsonSchema);
  const inlineSchemas = new Map<z.ZodType, JsonSchema>();
  for (const schema of inline) {
    const id = registry.get(schema)!.id;
    inlineSchemas.set(schema, inlineIds.has(schema) ? clean(schemas[id] as JsonSchema) : { $ref: `#/components/schemas/${id}` });
  }
  return { components, inline: inlineSchemas };
}

function schemasOf(doc: OperationDoc): z.ZodType[] {
  const responses = Object.values(doc.responses).flatMap((r) => (r.schema ? [r.schema] : []));
  return [doc.query, doc.params, doc.body?.json, doc.body?.form, ...responses].filter((s): s is z.ZodType => s !== undefined);
}

function parameters(schema: JsonSchema | undefined, where: 'query' | 'path'): JsonSchema[] {
  if (!schema) return [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    // A structured value travels as JSON text in the URL, which OpenAPI says with `content`, not `schema`.
    const structured = rest.$ref !== undefined || rest.type === 'object';
    return {
      name,
      in: where,
      ...(where === 'path' || required.has(name) ? { required: true } : {}),
      ...(description ? { description } : {}),
      ...(structured ? { content: { 'application/json': { schema: rest } } } : { schema: rest }),
    };
  });
}

function operation(doc: OperationDoc, schema: (s: z.ZodType | undefined) => JsonSchema | undefined): JsonSchema {
  const params = [...parameters(schema(doc.params), 'path'), ...parameters(schema(doc.query), 'query')];
  const content: Record<string, { schema: JsonSchema }> = {};
  if (doc.body?.json) content['application/json'] = { schema: schema(doc.body.json)! };
  if (doc.body?.form) content['multipart/form-data'] = { schema: schema(doc.body.form)! };
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    const media = response.schema ? { 'application/json': { schema: schema(response.schema) } } : response.mediaType ? { [response.mediaType]: {} } : undefined;
    responses[status] = { description: response.description, ...(media ? { content: media } : {}) };
  }
  for (const status of doc.errors ?? []) {
    responses[String(status)] = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    summary: doc.summary,
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(Object.keys(content).length > 0 ? { requestBody: { required: true, content } } : {}),
    responses,
  };
}

/** The document for these routes, with these limits in it. */
export function buildOpenApiDocument(routes: readonly RouteSpec[], limits: ApiLimits) {
  const docs = routes.map((route) => ({ route, doc: route.doc(limits) }));
  const { components, inline } = generateSchemas(docs.flatMap(({ doc }) => schemasOf(doc)));
  const schema = (s: z.ZodType | undefined) => (s ? inline.get(s) : undefined);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { route, doc } of docs) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(doc, schema);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Vitrine', version: '0.1.0', description: 'Search a fashion catalog by text and by image with a CLIP-style model.' },
    paths,
    components: { schemas: components },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

/** The document with the default config's limits (what a server without overrides serves). */
export const openApiDocument: OpenApiDocument = buildOpenApiDocument(ROUTES, apiLimits(ConfigSchema.parse({})));
