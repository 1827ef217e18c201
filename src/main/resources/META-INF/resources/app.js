// The page of multimodal-rag: everything it loads comes from the service itself.

const $ = (id) => document.getElementById(id);

/** An API error: the problem+json body's title and detail, or a network failure explained. */
class ApiError extends Error {
  constructor(status, title, detail, type) {
    super(`${title}: ${detail}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = type || '';
  }
}

/** Readable titles for the problems users meet most; other problems show their own title. */
const FRIENDLY = {
  'model-unavailable': 'The image model is not loaded.',
  'llm-not-configured': 'The vision LLM is not configured.',
  'image-too-large': 'This image is too large.',
  'payload-too-large': 'This file is too large.',
  'unsupported-image': 'This is not an image the service can read.',
  'undecodable-image': 'This image is damaged or cut short.',
  'writes-disabled': 'Changes are disabled on this service.',
  'unauthorized': 'The admin token is missing or wrong.',
  'duplicate': 'This is already in the knowledge base.',
  'busy': 'The service is busy.',
};

async function problemFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall back to the status line below
  }
  if (body && body.title) {
    const kind = String(body.type || '').split(':').pop();
    return new ApiError(response.status, FRIENDLY[kind] || body.title, body.detail || '', kind);
  }
  return new ApiError(response.status, `The service answered ${response.status}.`, response.statusText || '');
}

async function call(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The service cannot be reached.', 'Check the connection and try again.');
  }
  if (!response.ok) throw await problemFrom(response);
  return response;
}

function showError(error) {
  if (error && error.name === 'AbortError') return;
  $('error-title').textContent = error.title || 'Something went wrong.';
  $('error-detail').textContent = error.detail || error.message || '';
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

function adminHeaders() {
  const token = $('token').value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// ---- status ---------------------------------------------------------------------------------

async function refreshStatus() {
  const status = $('status');
  try {
    const response = await fetch('/q/health/ready');
    const health = await response.json();
    const checks = Object.fromEntries((health.checks || []).map((c) => [c.name, c]));
    const model = checks['clip-model'];
    const kb = checks['knowledge-base'];
    if (health.status === 'UP') {
      status.textContent = `Ready: ${kb.data.entries} images, model ${model.data.model} on ${model.data.device}`;
      status.className = 'status up';
    } else {
      const reason = (model && model.status !== 'UP' && model.data && model.data.reason)
        || (kb && kb.data && kb.data.reason) || 'starting';
      status.textContent = `Not ready: ${reason}`;
      status.className = 'status down';
      setTimeout(refreshStatus, 3000);
    }
  } catch {
    status.textContent = 'The service cannot be reached.';
    status.className = 'status down';
    setTimeout(refreshStatus, 5000);
  }
}

// ---- tabs -----------------------------------------------------------------------------------

function selectTab(tab) {
  for (const other of document.querySelectorAll('.tab')) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    $(other.getAttribute('aria-controls')).hidden = !selected;
  }
  if (tab.id === 'tab-kb') loadPage(kbPage);
}

// ---- cards ----------------------------------------------------------------------------------

function card(entry, { score, admin } = {}) {
  const item = document.createElement('li');
  item.className = 'card';
  item.dataset.id = entry.id;
  const img = document.createElement('img');
  img.src = `/v1/images/${encodeURIComponent(entry.id)}/content`;
  img.alt = entry.description;
  img.loading = 'lazy';
  const body = document.createElement('div');
  body.className = 'body';
  if (score !== undefined) {
    const s = document.createElement('span');
    s.className = 'score';
    s.textContent = `similarity ${score.toFixed(3)}`;
    body.append(s);
  }
  const id = document.createElement('span');
  id.className = 'id';
  id.textContent = entry.id;
  const text = document.createElement('p');
  text.dir = 'auto';
  text.className = 'description';
  text.textContent = entry.description;
  body.append(id, text);
  if (admin) body.append(adminControls(entry, text));
  item.append(img, body);
  return item;
}

function renderCards(list, entries, options = {}) {
  list.replaceChildren(...entries.map((e) => card(e, { ...options, score: e.score })));
  if (entries.length === 0) {
    const empty = document.createElement('li');
    empty.textContent = options.empty || 'Nothing found.';
    list.append(empty);
  }
}

// ---- photo, search and ask ------------------------------------------------------------------

let photo = null;
let asking = null;

function setPhoto(file) {
  if (!file) return;
  photo = file;
  const preview = $('preview');
  preview.src = URL.createObjectURL(file);
  preview.alt = `Your photo: ${file.name || 'pasted image'}`;
  preview.hidden = false;
  $('drop-hint').hidden = true;
  searchByPhoto();
}

async function searchByPhoto() {
  clearError();
  const form = new FormData();
  form.append('image', photo);
  form.append('k', $('k').value);
  try {
    const response = await call('/v1/search', { method: 'POST', body: form });
    const result = await response.json();
    renderCards($('matches'), result.results, { empty: 'No similar image in the knowledge base.' });
  } catch (e) {
    $('matches').replaceChildren();
    showError(e);
  }
}

/** Splits a text/event-stream body into {event, data} records. */
async function* serverSentEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

async function ask(event) {
  event.preventDefault();
  clearError();
  if (!photo) {
    showError({ title: 'Choose a photo first.', detail: 'The question is answered about a photo.' });
    return;
  }
  const answer = $('answer');
  answer.textContent = '';
  $('answer-meta').textContent = '';
  answer.setAttribute('aria-busy', 'true');
  $('ask').disabled = true;
  $('stop').disabled = false;
  asking = new AbortController();

  const form = new FormData();
  form.append('image', photo);
  form.append('question', $('question').value);
  form.append('k', $('k').value);
  try {
    const response = await call('/v1/ask', {
      method: 'POST', body: form, headers: { Accept: 'text/event-stream' }, signal: asking.signal,
    });
    for await (const { event: name, data } of serverSentEvents(response)) {
      const payload = JSON.parse(data);
      if (name === 'delta') {
        answer.textContent += payload.text;
      } else if (name === 'done') {
        renderCards($('matches'), payload.sources, { empty: 'No reference image matched; the answer is not grounded.' });
        const usage = payload.usage || {};
        $('answer-meta').textContent = `${payload.model} · ${usage.promptTokens ?? '?'} + ${usage.completionTokens ?? '?'} tokens · ${payload.tookMs} ms`;
      } else if (name === 'error') {
        const kind = String(payload.type || '').split(':').pop();
        showError(new ApiError(payload.status, FRIENDLY[kind] || payload.title, payload.detail, kind));
      }
    }
  } catch (e) {
    if (e.name === 'AbortError') {
      $('answer-meta').textContent = 'Stopped.';
    } else {
      showError(e);
    }
  } finally {
    answer.setAttribute('aria-busy', 'false');
    $('ask').disabled = false;
    $('stop').disabled = true;
    asking = null;
  }
}

// ---- text search ----------------------------------------------------------------------------

async function searchByText(event) {
  event.preventDefault();
  clearError();
  try {
    const response = await call('/v1/search/text', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: $('text-query').value, k: 10 }),
    });
    const result = await response.json();
    // The text tower cannot read this query's language (an English-only tower, a Persian query): say so.
    $('text-hint').textContent = result.hint || '';
    $('text-hint').hidden = !result.hint;
    renderCards($('text-results'), result.results);
  } catch (e) {
    $('text-results').replaceChildren();
    $('text-hint').hidden = true;
    showError(e);
  }
}

// ---- knowledge base -------------------------------------------------------------------------

const PAGE_SIZE = 12;
let kbPage = 0;

async function loadPage(page) {
  clearError();
  try {
    const response = await call(`/v1/images?page=${page}&size=${PAGE_SIZE}`);
    const result = await response.json();
    kbPage = page;
    const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
    $('kb-page').textContent = `Page ${page + 1} of ${pages} (${result.total} images)`;
    $('kb-prev').disabled = page === 0;
    $('kb-next').disabled = page + 1 >= pages;
    renderCards($('kb-list'), result.items, { admin: true, empty: 'The knowledge base is empty.' });
  } catch (e) {
    showError(e);
  }
}

function adminControls(entry, text) {
  const row = document.createElement('div');
  row.className = 'row';
  const edit = document.createElement('button');
  edit.type = 'button';
  edit.className = 'secondary';
  edit.textContent = 'Edit';
  edit.setAttribute('aria-label', `Edit the description of ${entry.id}`);
  edit.addEventListener('click', () => editDescription(entry, text, row));
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'danger';
  remove.textContent = 'Delete';
  remove.setAttribute('aria-label', `Delete ${entry.id}`);
  remove.addEventListener('click', () => deleteEntry(entry));
  row.append(edit, remove);
  return row;
}

function editDescription(entry, text, controls) {
  const form = document.createElement('form');
  form.className = 'stack';
  const area = document.createElement('textarea');
  area.dir = 'auto';
  area.rows = 4;
  area.maxLength = 4000;
  area.value = entry.description;
  area.setAttribute('aria-label', `Description of ${entry.id}`);
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Save';
  form.append(area, save);
  controls.hidden = true;
  text.replaceWith(form);
  area.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    try {
      await call(`/v1/images/${encodeURIComponent(entry.id)}/description`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', ...adminHeaders() },
        body: JSON.stringify({ description: area.value }),
      });
      loadPage(kbPage);
    } catch (e) {
      showError(e);
    }
  });
}

async function deleteEntry(entry) {
  if (!confirm(`Delete ${entry.id} and its image from the knowledge base?`)) return;
  clearError();
  try {
    await call(`/v1/images/${encodeURIComponent(entry.id)}`, { method: 'DELETE', headers: adminHeaders() });
    loadPage(kbPage);
  } catch (e) {
    showError(e);
  }
}

async function addEntry(event) {
  event.preventDefault();
  clearError();
  const form = new FormData();
  form.append('image', $('add-image').files[0]);
  form.append('description', $('add-description').value);
  if ($('add-id').value.trim()) form.append('id', $('add-id').value.trim());
  try {
    await call('/v1/images', { method: 'POST', body: form, headers: adminHeaders() });
    $('add-form').reset();
    loadPage(kbPage);
    refreshStatus();
  } catch (e) {
    showError(e);
  }
}

// ---- wiring ---------------------------------------------------------------------------------

function wire() {
  for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => selectTab(tab));
  $('error-close').addEventListener('click', clearError);

  const drop = $('drop');
  $('photo').addEventListener('change', () => setPhoto($('photo').files[0]));
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      $('photo').click();
    }
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    setPhoto(e.dataTransfer.files[0]);
  });
  document.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files || [])].find((f) => f.type.startsWith('image/'));
    if (file) setPhoto(file);
  });
  $('k').addEventListener('change', () => photo && searchByPhoto());

  $('ask-form').addEventListener('submit', ask);
  $('stop').addEventListener('click', () => asking && asking.abort());
  $('text-form').addEventListener('submit', searchByText);
  $('kb-prev').addEventListener('click', () => loadPage(kbPage - 1));
  $('kb-next').addEventListener('click', () => loadPage(kbPage + 1));
  $('add-form').addEventListener('submit', addEntry);

  const saved = sessionStorage.getItem('rag-admin-token');
  if (saved) $('token').value = saved;
  $('token').addEventListener('change', () => sessionStorage.setItem('rag-admin-token', $('token').value.trim()));

  refreshStatus();
}

wire();
