export const ROOT: string;
export interface PackedFile { path: string; size: number }
export interface PackResult { filename: string; name: string; version: string; size: number; unpackedSize: number; files: PackedFile[] }
export function packProduction(dest: string): { tarballs: string[]; server: PackResult };
export function installOffline(dir: string, tarballs: string[], extraArgs?: string[]): void;
export function userEnv(): NodeJS.ProcessEnv;
