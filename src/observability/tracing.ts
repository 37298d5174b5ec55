// OpenTelemetry tracing: spans per query stage and per indexing batch. Exported by OTLP/HTTP only when the
// standard OTEL_* variables name an endpoint (Jaeger, Tempo and others accept OTLP); silent otherwise, because
// an exporter with no collector makes shutdown hang (DEPENDENCIES.md).
import { trace, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
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

let provider: NodeTracerProvider | null = null;

export function startTracing(options: StartTracingOptions = {}): TracingHandle {
  if (provider) return { enabled: true, shutdown: async () => undefined };
  if (!options.exporter && !options.settings?.enabled) return { enabled: false, shutdown: async () => undefined };
  const processor = options.exporter ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.settings?.serviceName ?? 'vitrine', [ATTR_SERVICE_VERSION]: '0.1.0' }),
    spanProcessors: [processor],
  });
  provider.register();
  const own = provider;
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
