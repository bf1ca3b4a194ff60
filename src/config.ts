/**
 * Every setting in one place: environment variables with matching CLI flags, each declared once
 * in src/settings/ (the parser, --help and the README table are made from the declarations),
 * and the rules file the settings name.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './settings/index.js';
import { quote } from './lib/text.js';
import { MAX_RULES_FILE_BYTES, loadRuleSet, RulesError, type RuleSet } from './verify/index.js';

export * from './settings/index.js';

/** Gap between progress notifications while a call waits: hosts reset their time-outs on each. */
export const HEARTBEAT_MS = 2500;

/**
 * The rules file (MINDEE_MCP_RULES), read and checked: a file that cannot be read or has a bad
 * rule is refused, naming the file, the rule and what is wrong. `aliases` are the model aliases
 * in force (MINDEE_MCP_MODELS, and the emulator's demo models).
 */
export async function loadRules(file: string | undefined, aliases: Readonly<Record<string, string>>): Promise<RuleSet | null> {
  if (file === undefined) return null;
  let text: string;
  try {
    if (statSync(file).size > MAX_RULES_FILE_BYTES) throw new Error(`larger than ${MAX_RULES_FILE_BYTES / 1024} KB`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`MINDEE_MCP_RULES: cannot read the rules file ${quote(file, 200)} (${(error as Error).message}).`);
  }
  try {
    return await loadRuleSet(text, file, aliases);
  } catch (error) {
    if (error instanceof RulesError) throw new ConfigError(`MINDEE_MCP_RULES: ${error.message}`);
    throw error;
  }
}
