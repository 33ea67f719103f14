// The GitHub emulator's state: users, tokens, repos and everything in them, as
// plain in-memory data with a mutation API the scripted world and the HTTP
// routes share. Owns the rules GitHub applies on write (label events, commit
// references, closing keywords, ids, timestamps from the injected clock).
// Never speaks HTTP, never decides who may see what (the server does), and
// never reads the wall clock except through `now`. Layered by resource:
// store-base.ts, store-issues.ts, store-commits.ts, store-ci.ts.

import { CiStore } from "./store-ci.js";

export type * from "./model.js";
export { iso, StoreError } from "./store-base.js";

export class GitHubStore extends CiStore {}
