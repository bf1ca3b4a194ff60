/** Which model a call means: a UUID as is, an alias from the settings, or the default model. */
import { MindeeInputError } from '../client/errors.js';
import { UUID_PATTERN } from '../client/schemas.js';
import { quote } from '../lib/text.js';

export interface ModelSettings {
  defaultModelId: string | undefined;
  /** alias (lower case) → model UUID */
  aliases: Record<string, string>;
}


function known(settings: ModelSettings): string {
  const names = Object.keys(settings.aliases);
  return names.length ? `Known aliases: ${names.join(', ')}.` : 'No aliases are configured (MINDEE_MCP_MODELS).';
}

export function resolveModelId(input: string | undefined, settings: ModelSettings): string {
  const given = input?.trim();
  if (!given) {
    if (settings.defaultModelId) return settings.defaultModelId;
    throw new MindeeInputError(`No model_id was given and no default model is set. ${known(settings)}`, {
      hint: 'Pass model_id (a model UUID or an alias); search_models lists the models of the account. A default can be set with MINDEE_MODEL_ID.',
    });
  }
  if (UUID_PATTERN.test(given)) return given;
  // Own keys only: "__proto__" or "constructor" is not an alias.
  const key = given.toLowerCase();
  const aliased = Object.hasOwn(settings.aliases, key) ? settings.aliases[key] : undefined;
  if (aliased) return aliased;
  throw new MindeeInputError(`Unknown model ${quote(given, 100)}: it is neither a model UUID nor a known alias. ${known(settings)}`, {
    code: 'unknown_model',
    hint: 'Pass a model UUID or one of the aliases; search_models lists the models of the account.',
  });
}

/** Aliases of a model id, for listing models. */
export function aliasesOf(modelId: string, settings: ModelSettings): string[] {
  return Object.entries(settings.aliases)
    .filter(([, id]) => id.toLowerCase() === modelId.toLowerCase())
    .map(([alias]) => alias);
}
