// The app's own tests, with zapier-platform-core's appTester, against a running hub:
//   HUB_URL=http://127.0.0.1:8000 HUB_API_KEY=<scoped token> \
//   HUB_CONNECTOR_SECRET=<the standard connector's whsec_ key> npm test
// Each subscribes as Zapier would, receives an event the test posts to the hub, hands it to
// perform, and unsubscribes.
const { test } = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const crypto = require('node:crypto');
const zapier = require('zapier-platform-core');
const App = require('../index');
const { triggers } = require('../catalog.json');

const appTester = zapier.createAppTester(App);
const { HUB_URL, HUB_API_KEY, HUB_CONNECTOR_SECRET } = process.env;
const live = Boolean(HUB_URL && HUB_API_KEY && HUB_CONNECTOR_SECRET);

// A stand-in for hooks.zapier.com: it consents to the hub's handshake and keeps what arrives.
async function target() {
  const arrived = [];
  const waiting = [];
  const server = http.createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': '*' });
      res.end();
      return;
    }
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      res.writeHead(200);
      res.end();
      const message = { headers: req.headers, body: JSON.parse(body) };
      const next = waiting.shift();
      if (next) next(message); else arrived.push(message);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const next = () => new Promise((resolve, reject) => {
    if (arrived.length) { resolve(arrived.shift()); return; }
    const timer = setTimeout(() => reject(new Error('nothing delivered within 10 s')), 10000);
    waiting.push((message) => { clearTimeout(timer); resolve(message); });
  });
  return { url: `http://127.0.0.1:${server.address().port}/zap`, next, arrived,
    close: () => server.close() };
}

// What a vendor posts to the hub's standard connector, signed per Standard Webhooks.
async function send(type, data) {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  const id = `msg_${crypto.randomUUID()}`;
  const ts = Math.floor(Date.now() / 1000);
  const key = Buffer.from(HUB_CONNECTOR_SECRET.replace(/^whsec_/, ''), 'base64');
  const mac = crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  const answer = await fetch(`${HUB_URL}/webhooks/standard`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'webhook-id': id,
      'webhook-timestamp': String(ts), 'webhook-signature': `v1,${mac}` },
  });
  assert.strictEqual(answer.status, 202, await answer.text());
}

const authData = { hub_url: HUB_URL, api_key: HUB_API_KEY };

test('every trigger offers its catalog sample', async () => {
  assert.ok(triggers.length > 10);
  for (const entry of triggers) {
    const trigger = App.triggers[entry.key];
    assert.ok(trigger.display.label.startsWith('New '), entry.key);
    const [sample] = await appTester(trigger.operation.performList, { authData, inputData: {} });
    assert.strictEqual(sample.type, entry.event);
    assert.ok(sample.id && sample.data, entry.key);
  }
});

test('a Zap subscribes, receives an order.shipped and unsubscribes', { skip: !live }, async () => {
  const zap = await target();
  try {
    const operation = App.triggers.order_shipped.operation;
    const bundle = { authData, targetUrl: zap.url, inputData: {} };
    const subscription = await appTester(operation.performSubscribe, bundle);
    assert.ok(subscription.id.startsWith('sub_'));
    assert.strictEqual(subscription.content_mode, 'json');

    await send('order.shipped', { order_id: 'Z-1', carrier: 'UPS', tracking_number: '1Z9' });
    const delivered = await zap.next();
    assert.match(delivered.headers['content-type'], /^application\/json/);
    const [event] = await appTester(operation.perform, { ...bundle, cleanedRequest: delivered.body });
    assert.strictEqual(event.type, 'order.shipped');
    assert.strictEqual(event.data.tracking_number, '1Z9');

    await appTester(operation.performUnsubscribe, { ...bundle, subscribeData: subscription });
    const gone = await fetch(`${HUB_URL}/api/subscriptions/${subscription.id}`,
      { headers: { 'X-API-Key': HUB_API_KEY } });
    assert.strictEqual(gone.status, 404);
  } finally {
    zap.close();
  }
});

test('a status trigger takes only the chosen status', { skip: !live }, async () => {
  const zap = await target();
  try {
    const operation = App.triggers.order_status_changed.operation;
    const statuses = operation.inputFields.find((f) => f.key === 'to_status').choices;
    assert.ok(statuses.includes('company_assigned'));
    const bundle = { authData, targetUrl: zap.url, inputData: { to_status: 'company_assigned' } };
    const subscription = await appTester(operation.performSubscribe, bundle);
    await send('order.created', { order_id: 'Z-2', company: 'USMF', currency: 'EUR',
      lines: [{ sku: 'GEAR-7', quantity: 1, unit_price: '12.50' }] });
    const delivered = await zap.next();
    const [event] = await appTester(operation.perform, { ...bundle, cleanedRequest: delivered.body });
    assert.strictEqual(event.data.to_status, 'company_assigned');  // not the begin status
    await appTester(operation.performUnsubscribe, { ...bundle, subscribeData: subscription });
  } finally {
    zap.close();
  }
});
