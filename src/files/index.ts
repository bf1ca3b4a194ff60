export { FileAccess, type FileAccessOptions } from './file-access.js';
export { ALLOW_HARD_LINKS_SETTING, ALLOWED_DIRS_ENV, FolderTooLargeError, HOW_TO_ALLOW } from './messages.js';
export type { CheckedFile } from './read-checks.js';
export { RootsFollower, type Root } from './roots.js';
export { isSandboxLikePath, isWithin, toLocalPath } from './paths.js';
