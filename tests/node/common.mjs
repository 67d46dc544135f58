// Tiny test reporter shared by the client scripts: prints "ok - ..." lines and the plain
// "N passed, M failed" summary, and sets the exit code.
let passed = 0;
let failed = 0;
export function ok(cond, what, detail = "") {
  if (cond) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failed++;
    console.log(`FAILED - ${what} ${detail}`);
  }
}
export async function attempt(what, fn) {
  try {
    return await fn();
  } catch (e) {
    failed++;
    console.log(`FAILED - ${what}: ${e && (e.errorCode || e.name)} ${e && e.message}`);
    return undefined;
  }
}
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}
