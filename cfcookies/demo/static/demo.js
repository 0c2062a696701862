// The demo page's behaviour: fetch each granted course's playlist and segments from the edge
// with credentials (the browser attaches the CloudFront cookies), and try refused courses on
// demand. Inlined into every page by cfcookies.demo.pages; settings come from #demo-config.
const config = JSON.parse(document.getElementById('demo-config').textContent);
function line(list, text, ok, status) {
  const li = document.createElement('li');
  const badge = document.createElement('span');
  badge.className = 'status ' + (ok ? 'ok' : 'bad');
  badge.textContent = String(status);
  li.append(badge, ' ', text);
  list.append(li);
  return li;
}
async function get(url) {
  const response = await fetch(url, {credentials: 'include', cache: 'no-store'});
  return {response, body: await response.text()};
}
async function loadCourse(card) {
  const list = card.querySelector('.log');
  const playlistUrl = card.dataset.playlist;
  let result;
  try { result = await get(playlistUrl); } catch (error) {
    line(list, 'playlist: ' + error, false, 'ERR');
    card.dataset.result = 'error';
    return;
  }
  const decision = result.response.headers.get('x-cfcookies-decision') || '';
  line(list, 'index.m3u8 (' + decision + ')', result.response.ok, result.response.status)
    .dataset.name = 'index.m3u8';
  if (!result.response.ok) { card.dataset.result = 'refused'; return; }
  const segments = result.body.split('\n').map(s => s.trim()).filter(s => s && !s.startsWith('#'));
  let allOk = true;
  for (const name of segments) {
    const url = new URL(name, playlistUrl).href;
    const response = await fetch(url, {credentials: 'include', cache: 'no-store'});
    const size = (await response.arrayBuffer()).byteLength;
    allOk = allOk && response.ok;
    line(list, name + ' — ' + size + ' bytes, ' + (response.headers.get('content-type') || ''),
         response.ok, response.status).dataset.name = name;
  }
  card.dataset.result = allOk ? 'loaded' : 'partial';
}
async function tryCourse(card) {
  const out = card.querySelector('.attempt');
  out.textContent = 'asking the edge…';
  try {
    const {response, body} = await get(card.dataset.playlist);
    const decision = response.headers.get('x-cfcookies-decision') || '(none)';
    out.innerHTML = '';
    const head = document.createElement('p');
    const badge = document.createElement('span');
    badge.className = 'status ' + (response.ok ? 'ok' : 'bad');
    badge.textContent = String(response.status);
    head.append(badge, ' x-cfcookies-decision: ', decision);
    const xml = document.createElement('pre');
    xml.className = 'xml';
    xml.textContent = body.slice(0, 400);
    out.append(head, xml);
    card.dataset.result = response.ok ? 'allowed' : 'refused';
    card.dataset.status = String(response.status);
    card.dataset.decision = decision;
  } catch (error) {
    out.textContent = 'network error: ' + error;
    card.dataset.result = 'error';
  }
}
function watchVideo(card) {
  const video = card.querySelector('video');
  const label = card.querySelector('.video');
  const show = (state, text, ok) => {
    card.dataset.video = state;
    label.textContent = 'video: ' + text;
    label.className = 'video ' + (ok ? 'ok' : 'bad');
  };
  if (!video.canPlayType('application/vnd.apple.mpegurl')) {
    show('unsupported', 'this browser has no native HLS player; the segments still load below',
         false);
    return;
  }
  video.addEventListener('playing', () => show('playing', 'playing the HLS playlist, ' +
    video.videoWidth + 'x' + video.videoHeight + ', from the edge', true));
  video.addEventListener('error', () => show('error', 'the player could not load it (' +
    (video.error ? video.error.code : '?') + ')', false));
}
for (const card of document.querySelectorAll('.card.granted')) {
  watchVideo(card);
  const img = card.querySelector('img');
  const mark = (ok) => { card.querySelector('.poster').textContent = ok ? 'poster.png loaded'
                                                                       : 'poster.png refused';
                         card.querySelector('.poster').className = 'poster ' + (ok ? 'ok':'bad'); };
  if (img.complete && img.naturalWidth) mark(true);
  img.addEventListener('load', () => mark(true));
  img.addEventListener('error', () => mark(false));
  loadCourse(card);
}
for (const card of document.querySelectorAll('.card.probe')) {
  const button = card.querySelector('button');
  if (button) button.addEventListener('click', () => tryCourse(card));
  if (card.dataset.auto === '1') tryCourse(card);
}
if (config.keepalive) {
  // Renew the CloudFront cookies while the page stays open (the middleware answers 204/401).
  setInterval(() => fetch(config.keepalive, {method: 'POST', credentials: 'same-origin'}),
              config.keepaliveSeconds * 1000);
}
