// Category pictograms drawn for this app: plain SVG shapes in currentColor, 24×24.
const SHAPES = {
  violence: '<path d="M12 2l2.2 5.4 5.6-2.2-2.6 5.3L23 12l-5.8 1.5 2.6 5.3-5.6-2.2L12 22l-2.2-5.4-5.6 2.2 2.6-5.3L1 12l5.8-1.5-2.6-5.3 5.6 2.2z"/>',
  robbery_theft: '<path d="M8 8V6a4 4 0 018 0v2h3l1 14H4L5 8zm2 0h4V6a2 2 0 00-4 0z"/>',
  fraud: '<path d="M7 1h10a2 2 0 012 2v18a2 2 0 01-2 2H7a2 2 0 01-2-2V3a2 2 0 012-2zm0 3v15h10V4z"/><path d="M11 6h2v7h-2zm0 9h2v2h-2z"/>',
  traffic: '<path d="M5 11l2-5h10l2 5h1a1 1 0 011 1v5h-2a2.5 2.5 0 01-5 0H10a2.5 2.5 0 01-5 0H3v-5a1 1 0 011-1zm2.2 0h9.6l-1.2-3H8.4z"/>',
  fire: '<path d="M12 1c1 4 6 6.5 6 13a6 6 0 01-12 0c0-3 1.5-5 3-6 0 2 1 3.5 2.5 4C11 8 10 5 12 1z"/>',
  medical: '<path d="M9 2h6v7h7v6h-7v7H9v-7H2V9h7z"/>',
  missing_person: '<circle cx="9" cy="5" r="3"/><path d="M4 22v-8a5 5 0 0110 0v8h-3v-6H7v6z"/><path d="M16 5.5a3.5 3.5 0 117 0c0 2-2.3 2.3-2.3 4.2h-2.2c0-3 2.3-3 2.3-4.2a1.3 1.3 0 00-2.6 0zM18.5 11h2.2v2.2h-2.2z"/>',
  domestic_violence: '<path d="M12 2l10 9h-3v11H5V11H2zm-1 8v6h2v-6zm0 8v2h2v-2z"/>',
  other: '<circle cx="5" cy="12" r="2.5"/><circle cx="12" cy="12" r="2.5"/><circle cx="19" cy="12" r="2.5"/>',
};

export const CATEGORIES = Object.keys(SHAPES);

export function pictogram(category) {
  return `<svg class="pictogram" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="currentColor">${SHAPES[category] || SHAPES.other}</svg>`;
}
