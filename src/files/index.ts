export { ALLOWED_DIRS_ENV, FileAccess, HOW_TO_ALLOW, type FileAccessOptions, type ResolvedFile } from './file-access.js';
export { isSandboxLikePath, isWithin, toLocalPath } from './paths.js';
