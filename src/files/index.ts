export { FileAccess } from './file-access.js';
