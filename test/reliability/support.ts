// The reliability suites' plumbing lives beside the soak that shares it (scripts/processes.ts).
export * from '../../scripts/processes.js';
