// Photos, videos and voice notes kept on the device (IndexedDB) until their upload finished,
// so an alarm made offline, or a reload in the middle of an upload, loses none of them.
const DB = "netalarm-reporter";
const STORE = "media";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = action(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(request.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}

export const blobs = {
  put: (key, blob) => run("readwrite", (s) => s.put(blob, key)),
  get: (key) => run("readonly", (s) => s.get(key)),
  remove: (key) => run("readwrite", (s) => s.delete(key)),
};
