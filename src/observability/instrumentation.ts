// Instrumentation backed by OpenTelemetry spans and Prometheus histograms/counters.
import type { Instrumentation } from '../services/instrumentation.js';
import type { Metrics } from './metrics.js';
import { inSpan } from './tracing.js';

export function observedInstrumentation(metrics?: Metrics): Instrumentation {
  return {
    stage(name, attributes, fn) {
      return inSpan(`vitrine.${name}`, attributes, async () => {
        // Query stages have latency histograms; index stages (index.*) are traced only.
        const end = (metrics?.stages as Partial<Record<string, Metrics['stages'][keyof Metrics['stages']]>> | undefined)?.[name]?.startTimer();
        try {
          return await fn();
        } finally {
          end?.();
        }
      });
    },
    cache(cache, hit) {
      (hit ? metrics?.cacheHits : metrics?.cacheMisses)?.inc({ cache });
    },
    indexed(outcome, count) {
      if (count > 0) metrics?.indexerItems.inc({ outcome }, count);
    },
  };
}
