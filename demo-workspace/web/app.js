// Lists the items of the inventory service.
async function loadItems() {
  const response = await fetch("/items");
  const items = await response.json();
  const list = document.getElementById("items");
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = `${item.name}: ${item.quantity}`;
    list.appendChild(li);
  }
}

loadItems();
