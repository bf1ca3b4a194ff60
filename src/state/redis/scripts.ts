/**
 * Every Lua script the shared state runs, by name: the text of lua/<seam>/<name>.lua after the
 * prelude all scripts share (lua/prelude.lua) and their seam's own (lua/<seam>/prelude.lua). The
 * link hands them to @redis/client (its `scripts` option), which sends each by its SHA1 and by
 * its text to a Redis that does not have it yet. Each script is atomic: its seam's keys change
 * together or not at all. The .lua files are bundled as text (scripts/build.mjs; vitest.config.ts).
 */
import prelude from './lua/prelude.lua';
import hello from './lua/link/hello.lua';
import ownersRecord from './lua/owners/record.lua';
import rateRecord from './lua/rate/record.lua';
import rateTake from './lua/rate/take.lua';
import resultsPrelude from './lua/results/prelude.lua';
import resultsDelete from './lua/results/delete.lua';
import resultsGet from './lua/results/get.lua';
import resultsGetDecisions from './lua/results/get-decisions.lua';
import resultsGetReview from './lua/results/get-review.lua';
import resultsList from './lua/results/list.lua';
import resultsPut from './lua/results/put.lua';
import resultsPutDecisions from './lua/results/put-decisions.lua';
import resultsPutReview from './lua/results/put-review.lua';
import tasksPrelude from './lua/tasks/prelude.lua';
import tasksCreate from './lua/tasks/create.lua';
import tasksEnd from './lua/tasks/end.lua';
import tasksEnded from './lua/tasks/ended.lua';
import tasksGet from './lua/tasks/get.lua';
import tasksList from './lua/tasks/list.lua';
import tasksResult from './lua/tasks/result.lua';
import tasksUpdate from './lua/tasks/update.lua';
import timingsAdd from './lua/timings/add.lua';
import uploadsPrelude from './lua/uploads/prelude.lua';
import uploadsClaim from './lua/uploads/claim.lua';
import uploadsKeep from './lua/uploads/keep.lua';
import uploadsKept from './lua/uploads/kept.lua';
import uploadsPending from './lua/uploads/pending.lua';
import uploadsPut from './lua/uploads/put.lua';
import uploadsRelease from './lua/uploads/release.lua';
import uploadsReserve from './lua/uploads/reserve.lua';
import uploadsSweep from './lua/uploads/sweep.lua';

const script = (...parts: string[]): string => [prelude, ...parts].join('\n');

/**
 * Names are methods of the client: each has its seam's prefix, so none shadows a Redis command
 * (`get`, `hello`…).
 */
export const SCRIPTS = {
  heartbeat: script(hello),
  ownersRecord: script(ownersRecord),
  rateTake: script(rateTake),
  rateRecord: script(rateRecord),
  resultsPut: script(resultsPrelude, resultsPut),
  resultsGet: script(resultsPrelude, resultsGet),
  resultsGetDecisions: script(resultsPrelude, resultsGetDecisions),
  resultsPutDecisions: script(resultsPrelude, resultsPutDecisions),
  resultsGetReview: script(resultsPrelude, resultsGetReview),
  resultsPutReview: script(resultsPrelude, resultsPutReview),
  resultsDelete: script(resultsPrelude, resultsDelete),
  resultsList: script(resultsPrelude, resultsList),
  tasksCreate: script(tasksPrelude, tasksCreate),
  tasksGet: script(tasksPrelude, tasksGet),
  tasksUpdate: script(tasksPrelude, tasksUpdate),
  tasksEnd: script(tasksPrelude, tasksEnd),
  tasksResult: script(tasksPrelude, tasksResult),
  tasksList: script(tasksPrelude, tasksList),
  tasksEnded: script(tasksPrelude, tasksEnded),
  timingsAdd: script(timingsAdd),
  uploadsReserve: script(uploadsPrelude, uploadsReserve),
  uploadsRelease: script(uploadsPrelude, uploadsRelease),
  uploadsPut: script(uploadsPrelude, uploadsPut),
  uploadsClaim: script(uploadsPrelude, uploadsClaim),
  uploadsKeep: script(uploadsPrelude, uploadsKeep),
  uploadsKept: script(uploadsPrelude, uploadsKept),
  uploadsPending: script(uploadsPrelude, uploadsPending),
  uploadsSweep: script(uploadsPrelude, uploadsSweep),
} as const;

export type ScriptName = keyof typeof SCRIPTS;
