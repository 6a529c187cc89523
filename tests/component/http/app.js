addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
async function handle(req) {
  const url = new URL(req.url);
  const body = await req.arrayBuffer();
  return new Response(`js ${req.method} ${url.pathname} ${body.byteLength}\n`, {
    status: url.pathname === '/teapot' ? 418 : 200,
    headers: { 'x-js': 'yes', 'x-got': req.headers.get('x-in') || '' },
  });
}
