// OpenTelemetry tracing: spans per query stage and per indexing batch. Exported by OTLP/HTTP only when the
// standard OTEL_* variables name an endpoint (Jaeger, Tempo and others accept OTLP); silent otherwise, because
// an exporter with no collector makes shutdown hang (DEPENDENCIES.md).
import { trace, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingSettings } from '../config/config.js';

export const tracer = trace.getTracer('vitrine', '0.1.0');

export interface TracingHandle {
  enabled: boolean;
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** From config (tracingFromEnv): whether an OTLP endpoint is named, and the service name. */
  settings?: TracingSettings;
  /** Tests pass an in-memory exporter; spans are then exported synchronously. */
  exporter?: SpanExporter;
}

let provider: { shutdown(): Promise<void> } | null = null;

/**
 * Starts exporting spans when an endpoint (or a test exporter) is given. The SDK and the OTLP exporter are imported
 * only then: with tracing off (the default) a server starts without loading them (a few hundred ms of a cold
 * start); spans go to the API's no-op tracer meanwhile.
 */
export async function startTracing(options: StartTracingOptions = {}): Promise<TracingHandle> {
  if (provider) return { enabled: true, shutdown: async () => undefined };
  if (!options.exporter && !options.settings?.enabled) return { enabled: false, shutdown: async () => undefined };
  const [{ NodeTracerProvider }, { BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter());
  const own = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.settings?.serviceName ?? 'vitrine', [ATTR_SERVICE_VERSION]: '0.1.0' }),
    spanProcessors: [processor],
  });
  own.register();
  provider = own;
  return {
    enabled: true,
    shutdown: async () => {
      await own.shutdown();
      trace.disable();
      provider = null;
    },
  };
}

/** Runs fn inside a child span of the active one; errors are recorded on the span and rethrown. */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
      throw e;
    } finally {
      span.end();
    }
  });
}
