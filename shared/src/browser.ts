// The core's browser-safe face: pure functions a page without Node (the desktop app's renderer)
// may bundle. Nothing here may reach the SDK, the file system or the network.
export { checkParameterValue, type ParameterProblem, type TemplateParameter } from './infra/stacks/templateParameters';
export { jobOutcome, type JobOutcome, type OutcomeFacts } from './base/jobs/jobOutcome';
export { durationText } from './app/notify/figures';
export { ageText } from './app/status/ageText';
