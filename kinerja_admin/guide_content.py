"""The first text of the Panduan pages, seeded by `flask kinerja init` when a page is missing.
BKPSDM edits them in the admin (Sistem > Halaman Panduan); a later init never overwrites an edit.

(slug, title, audience, public, seq, body). Bodies are restricted Markdown; {periode}, {mulai},
{selesai}, {status_periode} and {hari_keberatan} are replaced with the real values when shown.
"""
from __future__ import annotations

GUIDE_PAGES: list[tuple[str, str, str, bool, int, str]] = [
    ("siklus", "Siklus penilaian kinerja", "umum", True, 10, """\
Penilaian kinerja ASN berjalan dalam satu siklus per periode. Periode yang sedang berjalan:
**{periode}**, mulai **{mulai}** sampai **{selesai}** (status: {status_periode}).

1. **Perencanaan.** Setiap pegawai menyusun SKP: rencana hasil kerja (RHK), indikator dan target.
   SKP diajukan kepada pejabat penilai (atasan langsung), yang menyetujui atau mengembalikannya
   dengan alasan.
2. **Pelaksanaan.** Sepanjang periode pegawai mencatat realisasi dan bukti dukung; pejabat penilai
   memberi umpan balik.
3. **Penilaian.** Pejabat penilai menilai hasil kerja dan perilaku. Rekan kerja dan bawahan ikut
   menilai perilaku (penilaian 360 derajat); untuk unit yang melayani publik, suara masyarakat ikut
   dihitung.
4. **Penetapan.** Nilai dihitung dengan aturan yang berlaku, disetujui, lalu diumumkan. Setiap
   pegawai melihat hasil, penjelasan, kekuatan dan hal yang perlu ditingkatkan di *Kinerja Saya*.
5. **Keberatan.** Dalam {hari_keberatan} hari sejak hasil diumumkan, pegawai dapat mengajukan keberatan
   kepada atasan pejabat penilai, yang memutus secara final.
"""),
    ("transparansi", "Apa yang terbuka dan apa yang dirahasiakan", "umum", True, 20, """\
Penilaian ini dibuat terbuka agar adil dan dapat diperiksa.

**Yang ditampilkan**

- Di portal publik: rekap hasil yang sudah diumumkan per perangkat daerah (sebaran predikat,
  rata-rata) dan Indeks Kepuasan Masyarakat (IKM) per unit.
- Kepada pegawai: hasil, cara nilai dihitung, rerata per peran penilai, umpan balik atasan.
- Kepada Inspektorat: seluruh data dan aturan, agar setiap nilai dapat dihitung ulang.

**Yang tidak pernah ditampilkan**

- NIP dan komentar di portal publik; hasil per pegawai hanya jika pengaturan instansi mengizinkan.
- Nama rekan kerja dan bawahan yang menilai Anda, dan nilai masing-masing dari mereka: yang tampil
  hanya rerata, dan hanya jika jumlah penilai mencapai ambang anonimitas.
- Identitas warga yang mengisi survei.
"""),
    ("keberatan", "Cara mengajukan keberatan", "umum", True, 30, """\
1. Buka **Kinerja Saya** setelah hasil Anda diumumkan.
2. Baca penjelasan nilai: bagaimana setiap sasaran, aspek perilaku dan predikat dihitung.
3. Jika tidak sepakat, tulis alasan keberatan dan kirim paling lambat {hari_keberatan} hari sejak hasil
   diumumkan. Keberatan hanya dapat diajukan satu kali untuk satu hasil.
4. Atasan pejabat penilai memeriksa keberatan, dapat mengubah predikat atau nilai, dan menuliskan
   alasan putusannya. Putusan itu final dan tampil di Kinerja Saya.
"""),
    ("pegawai", "Panduan untuk pegawai", "pegawai", False, 40, """\
Periode **{periode}** berlangsung {mulai} sampai {selesai}.

- **SKP**: lengkapi sasaran (RHK) dan indikator dengan target yang terukur, lalu ajukan. Jika
  dikembalikan, baca alasannya, perbaiki, dan ajukan kembali.
- **Realisasi**: catat capaian setiap indikator beserta bukti dukung (tautan atau catatan) secara
  berkala, jangan menunggu akhir periode.
- **Penilaian perilaku**: isi penilaian yang ditugaskan kepada Anda dengan jujur; nilai Anda atas
  rekan dan atasan tidak pernah ditampilkan dengan nama Anda.
- **Hasil**: lihat di *Kinerja Saya*, termasuk penjelasan setiap angka. Jika tidak sepakat, ajukan
  keberatan dalam {hari_keberatan} hari.
"""),
    ("penilai", "Panduan untuk pejabat penilai", "penilai", False, 50, """\
- **Persetujuan SKP**: periksa SKP bawahan yang diajukan; setujui, atau kembalikan dengan alasan yang
  jelas agar pegawai dapat memperbaikinya.
- **Umpan balik**: beri umpan balik atas realisasi dan bukti dukung sepanjang periode.
- **Penilaian**: menurut PermenPANRB 6/2022, rating hasil kerja dan perilaku adalah penilaian Anda
  berdasarkan bukti, umpan balik dan masukan penilai lain; angka capaian dan rerata 360 hanya saran.
- **Hasil tim**: Anda dapat menyetujui hasil penilaian bawahan Anda. Tidak seorang pun menilai,
  menyetujui atau memutus keberatan untuk dirinya sendiri.
"""),
    ("operator", "Panduan untuk operator BKPSDM", "operator", False, 60, """\
- **Per OPD**: setiap daftar punya kolom dan filter **OPD** yang mencakup seluruh sub-unitnya. Pilih
  satu OPD, lalu gunakan *Semua sesuai filter* untuk menyetujui atau mengumumkan seluruh OPD itu;
  halaman konfirmasi menyebut jumlah data dan filternya sebelum apa pun diubah.
- **Tugas latar**: hitung nilai, ekspor Excel dan impor data induk berjalan sebagai tugas. Halaman
  *Tugas* menampilkan kemajuannya; Anda boleh meninggalkan halaman dan mengunduh hasilnya nanti.
- **Partisipasi**: Beranda menampilkan per OPD SKP yang belum diajukan, yang menunggu persetujuan dan
  penilaian perilaku yang belum diisi. Gunakan untuk sosialisasi ke OPD yang tertinggal.
- **Panduan**: teks halaman ini dapat diubah di *Sistem > Halaman Panduan*.
"""),
    ("inspektur", "Panduan untuk Inspektorat", "inspektur", False, 70, """\
- Ekspor Excel (Inspektorat) dapat dibuat untuk seluruh kota atau satu OPD (pilih filter OPD terlebih
  dahulu). Ekspor berjalan sebagai tugas latar; unduh berkasnya dari halaman *Tugas*.
- Lembar *Aturan* memuat seluruh aturan skema yang dipakai, sehingga setiap nilai dapat dihitung
  ulang; lembar *Jejak Audit* memuat siapa mengubah apa dan kapan.
"""),
    ("masyarakat", "Suara masyarakat", "masyarakat", True, 80, """\
Warga yang menerima layanan dapat mengisi Survei Kepuasan Masyarakat (9 unsur, skala 1-4) melalui
kode QR di tempat layanan atau portal publik. Hasilnya menjadi Indeks Kepuasan Masyarakat (IKM) unit
tersebut dan, untuk unit yang melayani publik, ikut menjadi bagian penilaian pegawainya. Identitas
pengisi survei tidak dicatat.
"""),
    ("bantuan-skp", "Bantuan: SKP", "bantuan", False, 100, """\
SKP berisi rencana hasil kerja (RHK) dengan indikator dan target yang terukur. Pegawai mengajukannya;
pejabat penilai menyetujui atau mengembalikan dengan alasan.
"""),
    ("bantuan-penilaian", "Bantuan: penilaian dan hasil", "bantuan", False, 110, """\
Nilai dihitung dari realisasi SKP dan penilaian perilaku dengan aturan skema periode ini. Buka
*Penjelasan* pada setiap hasil untuk melihat cara setiap angka diperoleh sebelum menyetujuinya.
"""),
    ("bantuan-rating", "Bantuan: penilaian perilaku", "bantuan", False, 120, """\
Nilai setiap aspek perilaku sesuai pengamatan Anda selama periode. Nilai rekan dan bawahan hanya
ditampilkan sebagai rerata, dan hanya jika jumlah penilai mencapai ambang anonimitas.
"""),
]
