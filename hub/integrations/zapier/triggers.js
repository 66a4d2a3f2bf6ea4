// REST Hook triggers built from catalog.json: subscribe sends the Zap's target URL and the
// event type, unsubscribe deletes that subscription, perform hands the delivered CloudEvent to
// the Zap, and performList offers the catalog's example as the sample.
const { triggers } = require('./catalog.json');

const hubUrl = (bundle, path) => `${bundle.authData.hub_url.replace(/\/+$/, '')}${path}`;

const subscribe = (entry) => async (z, bundle) => {
  const body = { target_url: bundle.targetUrl, event: entry.event, content_mode: 'json' };
  if (bundle.inputData.company) body.company = bundle.inputData.company;
  if (bundle.inputData.to_status) body.filter = { to_status: bundle.inputData.to_status };
  const response = await z.request({ url: hubUrl(bundle, '/api/subscriptions'), method: 'POST', body });
  return response.data;
};

const unsubscribe = async (z, bundle) => {
  const id = encodeURIComponent(bundle.subscribeData.id);
  await z.request({ url: hubUrl(bundle, `/api/subscriptions/${id}`), method: 'DELETE' });
  return {};
};

const perform = (z, bundle) => [bundle.cleanedRequest];

const inputFields = (entry) => {
  const fields = [
    { key: 'company', label: 'Company', required: false,
      helpText: 'Only events of this company or legal entity (all when empty)' },
  ];
  if (entry.statuses) {
    fields.push({ key: 'to_status', label: 'New status', required: false, choices: entry.statuses,
      helpText: 'Only changes to this status (any when empty)' });
  }
  return fields;
};

const hook = (entry) => ({
  key: entry.key,
  noun: entry.noun,
  display: { label: entry.label, description: entry.description },
  operation: {
    type: 'hook',
    inputFields: inputFields(entry),
    performSubscribe: subscribe(entry),
    performUnsubscribe: unsubscribe,
    perform,
    performList: async () => [entry.sample],
    sample: entry.sample,
  },
});

module.exports = Object.fromEntries(triggers.map((entry) => [entry.key, hook(entry)]));
