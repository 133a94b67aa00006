// A TypeScript consumer of the package, type-checked by tests/packaging with
// `tsc --strict --noEmit` under moduleResolution bundler, node16 and nodenext.
import {
  AppPasswords,
  AppPasswordError,
  generatePassword,
  isAppPasswordError,
  looksLikeAppPassword,
  memoryStore,
  workersKvStore,
  type CreatedAppPassword,
  type KeyValueStore,
  type VerifyResult,
} from "app-passwords";
import { initialize, AppPasswords as SlimAppPasswords } from "app-passwords/slim";

const store: KeyValueStore = memoryStore();
const ap = new AppPasswords({ store, hashing: "owasp", cache: { ttlMs: 1000, maxEntries: 100 } });

export async function demo(request: Request): Promise<Response> {
  const created: CreatedAppPassword = await ap.create({ user: "alice", label: "CI", scopes: ["repository:write"] });
  const looks: boolean = looksLikeAppPassword(created.password);
  const { id }: { id: string } = generatePassword();

  const result: VerifyResult = await ap.verify({ username: "alice", password: created.password, require: ["repository"] });
  if (result.ok) {
    const user: string = result.user;
    const scopes: string[] = result.scopes;
    return new Response(`${user} ${scopes.join(" ")} ${looks} ${id}`);
  }
  const status: 401 | 403 = result.status;
  const missing: string[] | undefined = result.missing;
  console.log(status, result.code, missing);

  try {
    await ap.revoke("alice", created.id);
  } catch (e: unknown) {
    if (isAppPasswordError(e)) {
      const code: string = e.code;
      const error: AppPasswordError = e;
      console.log(code, error.message);
    }
  }
  const fromRequest = await ap.verifyRequest(request, { require: ["repository"] });
  return ap.unauthorized(fromRequest);
}

export async function slim(bytes: Uint8Array, module: WebAssembly.Module): Promise<SlimAppPasswords> {
  await initialize(new URL("https://cdn.example.com/app_passwords_bg.wasm"));
  await initialize(bytes);
  await initialize(module);
  return new SlimAppPasswords({ store: workersKvStore({}) });
}

// The types are real, not `any`: each line below must be an error.
// @ts-expect-error the store is required
new AppPasswords({});
// @ts-expect-error scopes are strings
await ap.create({ user: "alice", label: "CI", scopes: [1] });
// @ts-expect-error initialize needs a source
await initialize();
