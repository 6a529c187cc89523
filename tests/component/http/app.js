// A componentize-js handler: the request's method, path and body length in the
// body; /teapot answers 418. x-served counts the requests this instance
// served, and x-left says what the previous request left in a 256 KiB typed
// array it filled: with a fresh instance per request, always "1" and "none".
let served = 0;
let left = null;
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
async function handle(req) {
  const url = new URL(req.url);
  const body = await req.arrayBuffer();
  served++;
  const before = left === null ? 'none' : String(left[left.length - 1]);
  left = new Uint8Array(256 * 1024).fill(served % 251 + 1);
  return new Response(`js ${req.method} ${url.pathname} ${body.byteLength}\n`, {
    status: url.pathname === '/teapot' ? 418 : 200,
    headers: { 'x-js': 'yes', 'x-got': req.headers.get('x-in') || '', 'x-served': String(served), 'x-left': before },
  });
}
