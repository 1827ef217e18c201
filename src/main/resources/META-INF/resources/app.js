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

/** The first clause of a readiness reason, at most 140 characters. */
function shortReason(reason) {
  const clause = reason.split(/; |\. /)[0];
  return clause.length > 140 ? `${clause.slice(0, 139)}…` : clause;
}

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
      status.title = kb.data.source || '';
      status.className = 'status up';
    } else {
      const modelDown = model && model.status !== 'UP' && model.data;
      const reason = (modelDown && model.data.reason) || (kb && kb.data && kb.data.reason) || 'starting';
      // A few words on the line (the whole reason, with what to do, is its tooltip and in /q/health/ready).
      const summary = (modelDown && model.data.summary) || shortReason(reason);
      status.textContent = `Not ready: ${summary}`;
      status.title = reason;
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

/** Replaces a list's content with one line saying what is being done, and marks it busy. */
function showBusy(list, text) {
  const item = document.createElement('li');
  item.className = 'progress';
  item.textContent = text;
  list.replaceChildren(item);
  list.setAttribute('aria-busy', 'true');
}

/** Scrolls {@code element} to the top of the window when it is out of sight (below the fold on a phone). */
function reveal(element) {
  const box = element.getBoundingClientRect();
  if (box.top < 0 || box.top > window.innerHeight - 48) element.scrollIntoView({ block: 'start' });
}

function renderCards(list, entries, options = {}) {
  list.setAttribute('aria-busy', 'false');
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
const DROP_HINT = 'Drop a photo here, paste one, or <u>choose a file</u>';

function clearAnswer() {
  $('answer').replaceChildren();
  $('answer-meta').textContent = '';
}

/** The drop zone as it was before any photo: after a refused upload, no broken image stays in it. */
function resetPhoto() {
  photo = null;
  const preview = $('preview');
  preview.hidden = true;
  preview.removeAttribute('src');
  $('drop-hint').innerHTML = DROP_HINT;
  $('drop-hint').hidden = false;
  $('photo').value = '';
}

function setPhoto(file) {
  if (!file) return;
  photo = file;
  clearAnswer();
  const preview = $('preview');
  preview.onerror = () => {
    // Not something the browser can show (the service may still read it): name it instead of a broken image.
    preview.hidden = true;
    $('drop-hint').textContent = file.name || 'pasted image';
    $('drop-hint').hidden = false;
  };
  preview.src = URL.createObjectURL(file);
  preview.alt = `Your photo: ${file.name || 'pasted image'}`;
  preview.hidden = false;
  $('drop-hint').hidden = true;
  searchByPhoto();
}

async function searchByPhoto() {
  clearError();
  const chosen = photo;
  showBusy($('matches'), 'Searching the knowledge base…');
  const form = new FormData();
  form.append('image', chosen);
  form.append('k', $('k').value);
  try {
    const response = await call('/v1/search', { method: 'POST', body: form });
    const result = await response.json();
    if (photo !== chosen) return; // another photo was chosen meanwhile
    renderCards($('matches'), result.results, { empty: 'No similar image in the knowledge base.' });
  } catch (e) {
    if (photo !== chosen) return;
    $('matches').replaceChildren();
    $('matches').setAttribute('aria-busy', 'false');
    if (e.status >= 400 && e.status < 500) resetPhoto(); // refused: not an image, too large, ...
    showError(e);
  }
}

/** The answer box's line while nothing of the answer has arrived yet. */
function answerProgress(text) {
  const line = document.createElement('span');
  line.className = 'progress';
  line.textContent = text;
  $('answer').replaceChildren(line);
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
  clearAnswer();
  answerProgress('Searching the knowledge base…');
  reveal(answer);
  let started = false;
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
      if (name === 'sources') {
        renderCards($('matches'), payload.sources, { empty: 'No reference image matched; the answer is not grounded.' });
        answerProgress('Asking the model…');
      } else if (name === 'delta') {
        if (!started) answer.textContent = '';
        started = true;
        answer.textContent += payload.text;
      } else if (name === 'done') {
        renderCards($('matches'), payload.sources, { empty: 'No reference image matched; the answer is not grounded.' });
        const usage = payload.usage || {};
        $('answer-meta').textContent = `${payload.model} · ${usage.promptTokens ?? '?'} + ${usage.completionTokens ?? '?'} tokens · ${payload.tookMs} ms`;
      } else if (name === 'error') {
        if (!started) answer.replaceChildren();
        const kind = String(payload.type || '').split(':').pop();
        showError(new ApiError(payload.status, FRIENDLY[kind] || payload.title, payload.detail, kind));
      }
    }
  } catch (e) {
    if (!started) answer.replaceChildren();
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
  showBusy($('text-results'), 'Searching…');
  $('text-search').disabled = true;
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
    $('text-results').setAttribute('aria-busy', 'false');
    $('text-hint').hidden = true;
    showError(e);
  } finally {
    $('text-search').disabled = false;
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
    // Edit and Delete only with a token to send: without one they could only fail.
    renderCards($('kb-list'), result.items, { admin: hasToken(), empty: 'The knowledge base is empty.' });
  } catch (e) {
    showError(e);
  }
}

function hasToken() {
  return $('token').value.trim() !== '';
}

/** Opens the page holding entry {@code id} (new entries come last), marks it and scrolls to it. */
async function showEntry(id) {
  const pageOf = async (page) => (await call(`/v1/images?page=${page}&size=${PAGE_SIZE}`)).json();
  const first = await pageOf(0);
  const pages = Math.max(1, Math.ceil(first.total / PAGE_SIZE));
  let found = first.items.some((e) => e.id === id) ? 0 : -1;
  for (let page = pages - 1; found < 0 && page > 0; page--) {
    if ((await pageOf(page)).items.some((e) => e.id === id)) found = page;
  }
  await loadPage(Math.max(found, 0));
  const added = document.querySelector(`#kb-list li.card[data-id="${CSS.escape(id)}"]`);
  if (added) {
    added.classList.add('new');
    added.scrollIntoView({ block: 'center' });
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
  $('add-result').hidden = true;
  $('add').disabled = true;
  try {
    const response = await call('/v1/images', { method: 'POST', body: form, headers: adminHeaders() });
    const entry = await response.json();
    $('add-form').reset();
    $('add-result').textContent = `Added ${entry.id}: it is searchable now, and marked in the list below.`;
    $('add-result').hidden = false;
    refreshStatus();
    await showEntry(entry.id);
  } catch (e) {
    showError(e);
  } finally {
    $('add').disabled = false;
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
  // Edit and Delete come and go with the token.
  let hadToken = hasToken();
  $('token').addEventListener('input', () => {
    if (hasToken() !== hadToken && !$('view-kb').hidden) loadPage(kbPage);
    hadToken = hasToken();
  });

  refreshStatus();
}

wire();
