export { ALLOW_HARD_LINKS_SETTING, ALLOWED_DIRS_ENV, FileAccess, FolderTooLargeError, HOW_TO_ALLOW, type FileAccessOptions, type ResolvedFile } from './file-access.js';
export { RootsFollower, type Root } from './roots.js';
export { isSandboxLikePath, isWithin, toLocalPath } from './paths.js';
