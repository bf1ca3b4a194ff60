/**
 * How a setting is declared — once, with everything the parser, `--help` and the README's
 * settings table are made from. To add a setting: add one `setting({...})` to core.ts or
 * serving.ts (in the order the README lists them), then run `npm run readme:settings`.
 */
import type { z } from 'zod';
import { truthy } from './kinds.js';

/** What a custom reader sees: the flags given, the environment, the positional arguments, and the settings read before this one. */
export interface ReadContext {
  flags: Readonly<Record<string, string | boolean | undefined>>;
  env: NodeJS.ProcessEnv;
  positionals: readonly string[];
  raw: Readonly<Record<string, unknown>>;
}

export interface SettingDeclaration<S extends z.ZodType = z.ZodType> {
  /** The environment variable. */
  env: string;
  /** The command-line flag, without `--`; none: the variable only. */
  flag?: string;
  /** The flag's value placeholder in --help (`URL`, `N`…); none: an on/off flag that takes no value. */
  arg?: string;
  /** A secret: read from the environment only, never echoed, redacted from every error. */
  secret?: true;
  /** Where --help lists it: the options of every mode, or those of the remote server and webhooks. */
  group: 'general' | 'remote';
  /** Checks and converts the value; its messages name the variable. */
  schema: S;
  /** One line of --help (a `\n` continues it, indented). */
  help: string;
  /** The README table's description (Markdown). */
  readme: string;
  /** The default, as a literal value (README: in code; --help: "(default …)"); a test checks the schema agrees. */
  default?: string;
  /** The default in words, when it is not one value (README only; --help says it in `help`). */
  defaultText?: string;
  /** The README's flag column, when it is not the flag. */
  readmeFlag?: string;
  /** The first column of --help, when it is not the flag. */
  helpFlag?: string;
  /** The variable is trimmed and lower-cased (the flag is taken as given). */
  lowerCaseEnv?: true;
  /** Reads the raw value, when it is not "the flag, else the variable (empty: unset)". */
  read?: (context: ReadContext) => unknown;
}

/** Declares a setting (keeps its schema's type for the config's). */
export function setting<S extends z.ZodType>(declaration: SettingDeclaration<S>): SettingDeclaration<S> {
  return declaration;
}

/** The raw value of a setting: its custom reader's, else the flag's, else the variable's. */
export function readRaw(declaration: SettingDeclaration, context: ReadContext): unknown {
  if (declaration.read) return declaration.read(context);
  const given = declaration.flag === undefined ? undefined : context.flags[declaration.flag];
  if (given !== undefined) return given;
  // An on/off flag's variable is on when it says so.
  if (declaration.flag !== undefined && declaration.arg === undefined) return truthy(context.env[declaration.env]);
  const value = context.env[declaration.env];
  if (declaration.lowerCaseEnv) return value?.trim().toLowerCase() || undefined;
  return value || undefined;
}
