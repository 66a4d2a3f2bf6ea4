// API-key authentication with a scoped token of the hub (an admin makes one per Zap owner
// with POST /api/tokens); the hub's URL is part of the connection, since each business runs
// its own hub.
const { publicUrl } = require('./catalog.json');

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'hub_url',
      label: 'Hub URL',
      required: true,
      default: publicUrl,
      helpText: 'Where your webhook hub is reached, e.g. https://hub.example.com',
    },
    {
      key: 'api_key',
      label: 'API key',
      required: true,
      type: 'password',
      helpText: 'A scoped token of the hub, made by its admin with POST /api/tokens',
    },
  ],
  // A scoped token may list its own subscriptions: the cheapest call that proves the key.
  test: { url: '{{bundle.authData.hub_url}}/api/subscriptions', method: 'GET' },
  connectionLabel: 'Webhook hub at {{bundle.authData.hub_url}}',
};
