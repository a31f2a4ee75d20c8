// A click on an answer's [n] scrolls to source card n (unfolding an earlier question's
// cards if needed) and flashes it, instead of jumping the whole page to the anchor.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite");
  if (!link) return;
  const id = (link.getAttribute("href") || "").slice(1);
  const card = document.getElementById(id);
  event.preventDefault();
  if (!card) return;
  const folded = card.closest("details");
  if (folded) folded.open = true;
  card.scrollIntoView({behavior: "smooth", block: "center"});
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1600);
});
