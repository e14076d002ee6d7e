/** The tool version written into manifests and the user agent. Kept in step with package.json by a test. */
export const TOOL_NAME = 'coldkeep';
export const TOOL_VERSION = '0.1.0';
