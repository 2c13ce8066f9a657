// Where the console is, in the URL's hash: `#<screen>` or `#<screen>/<id>` (e.g. #placement/<uuid>),
// so a screen can link to another (an alert to its placement) and a link can be shared.
export interface Route {
  screen: string;
  id: string | null;
}

export function parseRoute(hash: string): Route {
  const [screen, id] = hash.replace(/^#/, "").split("/", 2);
  return { screen: screen ?? "", id: id ? decodeURIComponent(id) : null };
}

export const routeHref = (screen: string, id?: string | null) => `#${screen}${id ? `/${encodeURIComponent(id)}` : ""}`;
