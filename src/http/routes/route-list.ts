// Every route of the app, in the order the OpenAPI document lists them. A route added here is registered
// and documented; one left out is neither.
import type { RouteSpec } from '../route.js';
import { catalogWriteRoutes } from './catalog-write.route.js';
import { docsRoutes } from './docs.route.js';
import { facetsRoute } from './facets.route.js';
import { healthRoutes } from './health.route.js';
import { imageRoute } from './image.route.js';
import { limitsRoute } from './limits.route.js';
import { metricsRoute } from './metrics.route.js';
import { productRoute } from './product.route.js';
import { searchRoute } from './search.route.js';
import { seedRoutes } from './seed.route.js';

export const ROUTES: readonly RouteSpec[] = [
  searchRoute,
  facetsRoute,
  productRoute,
  ...catalogWriteRoutes,
  limitsRoute,
  imageRoute,
  ...seedRoutes,
  metricsRoute,
  ...healthRoutes,
  ...docsRoutes,
];
