// Billflow's script, loaded once from the portal's server (the address the backend gives):
// it is a classic script that sets window.Billflow, not a module to bundle.
let loading = null;

export function loadBillflow(base) {
  if (window.Billflow) return Promise.resolve(window.Billflow);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${base}/embed.js`;
    script.onload = () => resolve(window.Billflow);
    script.onerror = () => { loading = null; reject(new Error(`${script.src} did not load`)); };
    document.head.append(script);
  });
  return loading;
}
